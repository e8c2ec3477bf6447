import type { DatabaseTarget } from '@elt/core'
import type { LoadRunOptions } from './write/load-sources-options.ts'

/** Everything `replicate()` needs, passed explicitly (the CLI reads env and config, then calls it). */
export interface ReplicationOptions extends LoadRunOptions {
  source: DatabaseTarget
  /** Source schemas to copy (default `['public']`). */
  schemas?: readonly string[]
  /** Only tables matching one of these patterns (`films`, `public.film_*`, `sales.*`). A pattern without wildcards must name an existing table. */
  include?: readonly string[]
  /** Tables matching any of these patterns are skipped. */
  exclude?: readonly string[]
  /** Destination schema of `public` (default `raw`); another source schema `s` lands in `<targetSchema>_s`. */
  targetSchema?: string
}

/**
 * One replicated table in the summary. `resumed` tables were copied by an interrupted earlier
 * run (`resumedFrom`) as of that run's snapshot (`snapshotAt`, ISO 8601; `null` when that run
 * predates the record) and not copied again.
 */
export interface TableSummary {
  source: string
  target: string
  rows: number
  bytes: number
  seconds: number
  resumed?: boolean
  resumedFrom?: string
  snapshotAt?: string | null
}

/** A table taken over from an interrupted run. */
export type ResumedTable = TableSummary & { resumed: true; resumedFrom: string; snapshotAt: string | null }

/**
 * The result of a run; `JSON.stringify` gives the CLI's `--json` output:
 * `{ "runId": "…", "status": "success", "seconds": 1.2, "tables": [ { "source": "public.films", "target": "raw.films", "rows": 120, "bytes": 9120, "seconds": 0.05 } ] }`
 */
export interface ReplicationSummary {
  runId: string
  status: 'success' | 'error'
  seconds: number
  /** When this run's snapshot was taken (ISO 8601, the source's clock): its copied tables are as of then. */
  snapshotAt?: string
  tables: TableSummary[]
  error?: string
}
