import path from 'node:path'
import type { ResolvedConfig } from '@elt/config'
import { mapSchema, selectTables } from '@elt/extract-load'
import { sourceLoaders, type SourceLoaders, type SourceSpec } from '@elt/runner'

/**
 * The configured sources as the runner's selection (`source:<name>`) and manifest (`loader`) need
 * them: a CSV source loads `targetSchema.table` from its file (shown relative to the config's
 * folder), a PostgreSQL source every other table of the schemas its `schemas` land in that its
 * include/exclude patterns keep.
 *
 * ```ts
 * sourceLoadersOf(config, '/repo').loaderOf('raw', 'ticket_sales')
 * // { source: 'ticket_sales', kind: 'csv', from: 'source_db_init/ticket_sales.csv' }
 * ```
 */
export function sourceLoadersOf(config: Pick<ResolvedConfig, 'sources'>, projectDir: string): SourceLoaders {
  const specs = Object.entries(config.sources).map(([name, source]): SourceSpec => {
    if (source.kind === 'csv') {
      const relative = path.relative(projectDir, source.path)
      const from = relative.startsWith('..') || path.isAbsolute(relative) ? source.path : relative.split(path.sep).join('/')
      return { name, kind: source.kind, targetSchema: source.targetSchema, table: source.table, from }
    }
    if (source.kind === 'mongodb' || source.kind === 'mongodb-export') {
      // a document source writes its mapping's tables, all in targetSchema: `from` reads mapping.table
      return { name, kind: source.kind, schemas: [{ from: source.mapping, to: source.targetSchema }] }
    }
    const schemas = (source.schemas ?? ['public']).map((schema) => ({ from: schema, to: mapSchema(schema, source.targetSchema) }))
    const patterns = { ...(source.include ? { include: source.include } : {}), ...(source.exclude ? { exclude: source.exclude } : {}) }
    // the same include/exclude matching as replication's
    const copies = (schema: string, table: string) => selectTables([{ schema, name: table }], patterns, { unknown: 'ignore' }).length > 0
    return { name, kind: source.kind, schemas, ...(source.include || source.exclude ? { copies } : {}) }
  })
  return sourceLoaders(specs)
}
