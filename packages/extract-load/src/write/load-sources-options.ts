import type { DatabaseTarget, LockWaitPolicy, Logger, RetryPolicy } from '@elt/core'
import type { ReplicationEvent } from '../replication-events.ts'
import type { TableSummary } from '../replication-options.ts'
import type { SourceReader } from '../sources/source-reader.ts'
import type { ReplicationStrategy } from './table-strategy.ts'

/** One source to load: its name in the config, the reader of its kind, and its config as the reader takes it. */
export interface SourceToLoad {
  name: string
  reader: SourceReader<never>
  config: unknown
  /** Where its tables land (`raw` unless the source sets `targetSchema`). */
  targetSchema: string
  /** A `postgres` source's database (its `url`, else SOURCE_DATABASE_URL / the embedded default's). */
  database?: DatabaseTarget
}

/** What every load run takes besides its sources: the destination, parallelism, checks, and the run's plumbing. */
export interface LoadRunOptions {
  destination: DatabaseTarget
  /** Tables copied in parallel (default `os.availableParallelism()`). */
  jobs?: number
  /** Compare a content hash of every table, source vs destination (where the reader can compute one), besides the row counts. */
  verify?: boolean
  /** Ignore the state of an interrupted run and copy every table again. */
  fresh?: boolean
  /** `--full-refresh`: copy every selected table whole, whatever its strategy, and start its cursor marks again. */
  fullRefresh?: boolean
  retry?: RetryPolicy
  /** Bounded wait for the databases to accept connections (default 30 s). */
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
  /**
   * Seconds a table's load may move no data before its sessions are looked at (default 60): one whose
   * connection stopped passing data without closing (a cut network, a stalled proxy) is given up and
   * retried, one at work is waited for (see `watchForStall`).
   */
  stallSeconds?: number
}

/** Everything `loadSources()` needs, passed explicitly (the CLI reads env and config, then calls it). */
export interface LoadSourcesOptions extends LoadRunOptions {
  sources: readonly SourceToLoad[]
  /** `source:<name>` or `source:<name>.<table>` (globs allowed): only these; default every source and table. */
  select?: readonly string[]
  /** Same syntax: left out. */
  exclude?: readonly string[]
}

/** A loaded (or resumed) table with the source it came from. */
export interface LoadedTableSummary extends TableSummary {
  /** The source's name in the config. */
  sourceName: string
  /** Its reader's kind (`postgres`, `csv`, `stage`). */
  kind: string
  /** Rows kept out and recorded in `_elt_audit.rejected_rows` (a CSV or staged CSV source with `onError: 'quarantine'`). */
  rejected?: number
  /** How the table was replicated (`replicate.tables`; default `full`). `rows`: rows read from the source this run (a full copy: the table; a cursor run: its window). */
  strategy: ReplicationStrategy
  /** Rows added to the raw table (a full copy: all of them). */
  inserted: number
  /** Rows changed in place (a cursor `incremental` run). */
  updated: number
  /** Rows removed (`deletes: 'compare-keys'`). */
  deleted: number
}

/** One source of the run: what it read and as of when. */
export interface LoadedSource {
  name: string
  kind: string
  /** Where the rows came from (never a password). */
  description: string
  /** ISO 8601: the source's snapshot, or when its files were listed. */
  snapshotAt: string
}

/** The result of `loadSources()`; `JSON.stringify` gives the CLI's `--json` output. */
export interface LoadSourcesSummary {
  runId: string
  status: 'success' | 'error'
  seconds: number
  /** The first source's snapshot time (ISO 8601); each source's is in `sources`. */
  snapshotAt?: string
  sources: LoadedSource[]
  tables: LoadedTableSummary[]
  error?: string
}
