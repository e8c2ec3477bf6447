import { postgresReader } from './sources/postgres/postgres-reader.ts'
import type { ReplicationOptions, ReplicationSummary, TableSummary } from './replication-options.ts'
import { loadSources } from './write/load-sources.ts'

/**
 * Replicates the selected tables of the source's schemas into the destination
 * (`public.films` → `raw.films`), as of one exported snapshot, in parallel, largest first:
 * `loadSources` with one PostgreSQL source named `postgres`. Steps: see `steps.ts`. Throws an
 * `EltError` (exit code 1, or 2 for bad config) on failure; tables already swapped in stay, the
 * others keep their previous copy.
 *
 * ```ts
 * const summary = await replicate({ source, destination, schemas: ['public'], targetSchema: 'raw', jobs: 4, verify: true })
 * // summary.tables → [{ source: 'public.films', target: 'raw.films', rows: 120, bytes: 9120, seconds: 0.05 }, …]
 * ```
 */
export async function replicate(options: ReplicationOptions): Promise<ReplicationSummary> {
  const { source, schemas, include, exclude, targetSchema: target, ...rest } = options
  const targetSchema = target ?? 'raw'
  const summary = await loadSources({
    ...rest,
    sources: [
      {
        name: 'postgres',
        reader: postgresReader,
        config: { schemas: schemas ?? ['public'], ...(include ? { include } : {}), ...(exclude ? { exclude } : {}) },
        targetSchema,
        database: source,
      },
    ],
  })
  return {
    runId: summary.runId,
    status: summary.status,
    seconds: summary.seconds,
    ...(summary.snapshotAt ? { snapshotAt: summary.snapshotAt } : {}),
    tables: summary.tables.map(({ sourceName: _name, kind: _kind, rejected: _rejected, ...table }): TableSummary => table),
  }
}
