import type { DatabaseTarget, LockWaitPolicy, Logger, RetryPolicy } from '@elt/core'
import type { ReplicationEvent } from './replication-events.ts'

/** Everything `replicate()` needs, passed explicitly (the CLI reads env and config, then calls it). */
export interface ReplicationOptions {
  source: DatabaseTarget
  destination: DatabaseTarget
  /** Source schemas to copy (default `['public']`). */
  schemas?: readonly string[]
  /** Only tables matching one of these patterns (`films`, `public.film_*`, `sales.*`). A pattern without wildcards must name an existing table. */
  include?: readonly string[]
  /** Tables matching any of these patterns are skipped. */
  exclude?: readonly string[]
  /** Destination schema of `public` (default `raw`); another source schema `s` lands in `<targetSchema>_s`. */
  targetSchema?: string
  /** Tables copied in parallel (default `os.availableParallelism()`). */
  jobs?: number
  /** Compare a content hash of every table, source vs destination, besides the row counts. */
  verify?: boolean
  /** Ignore the state of an interrupted run and copy every table again. */
  fresh?: boolean
  retry?: RetryPolicy
  /** Bounded wait for both databases to accept connections (default 30 s). */
  connectWaitSeconds?: number
  /** Id recorded in `_elt.replications` (the CLI passes its `_elt.runs` id). Default: a new UUID. */
  runId?: string
  logger?: Logger
  onEvent?: (event: ReplicationEvent) => void
  signal?: AbortSignal
  /**
   * How long each table's swap waits for sessions using the previous copy: a `lock_timeout` per attempt,
   * retried with backoff (default 1 s, 6 retries from 0.5 s: about 30 s), then the table fails naming them.
   */
  swapLockWait?: Partial<LockWaitPolicy>
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
