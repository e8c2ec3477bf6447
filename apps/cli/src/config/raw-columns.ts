import { access } from 'node:fs/promises'
import path from 'node:path'
import { importModule } from '@elt/core'
import { sourceColumnsFrom, type RawColumnLists, type SourceColumns } from '@elt/runner'

/** Where `pnpm elt codegen` writes the raw tables' types and column lists, relative to the project. */
export const rawSchemaModule = 'packages/models/src/generated/raw-schema.ts'

/**
 * The raw tables' column names from codegen's module (its `rawColumns` export), for column lineage:
 * the module codegen writes by default, else `generated/raw-schema.ts` next to the models project;
 * undefined when there is none or it is older than the column lists.
 *
 * ```ts
 * (await rawColumnsOf('/repo', '/repo/packages/models/src/index.ts'))?.('raw', 'films') // ['film_id', 'title', 'release_date', 'price', 'rating', 'user_rating']
 * ```
 */
export async function rawColumnsOf(projectDir: string, modelsProject: string): Promise<SourceColumns | undefined> {
  const candidates = [path.resolve(projectDir, rawSchemaModule), path.join(path.dirname(modelsProject), 'generated', 'raw-schema.ts')]
  let file: string | undefined
  for (const candidate of candidates) if (file === undefined && (await access(candidate).then(() => true, () => false))) file = candidate
  if (file === undefined) return undefined
  const exports = (await importModule(file)) as { rawColumns?: RawColumnLists }
  return exports.rawColumns ? sourceColumnsFrom([exports.rawColumns]) : undefined
}
