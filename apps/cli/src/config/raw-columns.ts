import { access } from 'node:fs/promises'
import path from 'node:path'
import type { ResolvedConfig } from '@elt/config'
import { importModule } from '@elt/core'
import { sourceColumnsFrom, type RawColumnLists, type SourceColumns } from '@elt/runner'

/** Where `pnpm elt codegen` writes the raw tables' types and column lists, relative to the project. */
export const rawSchemaModule = 'packages/models/src/generated/raw-schema.ts'

/**
 * The source tables' column names, for column lineage (`select *`, unqualified references):
 * codegen's `rawColumns` (the module codegen writes by default, else `generated/raw-schema.ts` next
 * to the models project) and, for document sources, their mapping's tables (`ccb.operacoes`: the
 * mapping's columns). Undefined when neither is there.
 *
 * ```ts
 * (await sourceColumnsOf('/repo', config))?.('raw', 'films') // ['film_id', 'title', 'release_date', 'price', 'rating', 'user_rating']
 * (await sourceColumnsOf('/repo', config))?.('ccb', 'operacoes') // ['numero_ccb', 'cpf', …]
 * ```
 */
export async function sourceColumnsOf(projectDir: string, config: Pick<ResolvedConfig, 'models' | 'sources'>): Promise<SourceColumns | undefined> {
  const lists: RawColumnLists[] = []
  const candidates = [path.resolve(projectDir, rawSchemaModule), path.join(path.dirname(config.models.project), 'generated', 'raw-schema.ts')]
  for (const candidate of candidates) {
    if (!(await access(candidate).then(() => true, () => false))) continue
    const { rawColumns } = (await importModule(candidate)) as { rawColumns?: RawColumnLists }
    if (rawColumns) lists.push(rawColumns)
    break
  }
  const documentSources = Object.values(config.sources).filter((source) => source.kind === 'mongodb' || source.kind === 'mongodb-export')
  if (documentSources.length) {
    const { isDocumentMapping } = await import('@elt/documents')
    // the models project is already loaded (planning imports it first): this is the module cache
    const exports = ((await importModule(config.models.project).catch(() => undefined)) ?? {}) as Record<string, unknown>
    for (const source of documentSources) {
      if (!('mapping' in source)) continue
      const mapping = exports[source.mapping] ?? Object.values(exports).find((value) => isDocumentMapping(value) && value.name === source.mapping)
      if (!isDocumentMapping(mapping)) continue // a missing mapping is the load's error to report
      const tables = Object.fromEntries(Object.entries(mapping.tables).map(([table, spec]) => [table, Object.keys(spec.columns)]))
      lists.push({ schema: source.targetSchema, tables })
    }
  }
  return lists.length ? sourceColumnsFrom(lists) : undefined
}
