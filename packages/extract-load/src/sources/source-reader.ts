import type { Readable } from 'node:stream'
import type { BackendSession, DatabaseTarget, Logger, RetryPolicy } from '@elt/core'
import type { SequenceDef, TableDef, UserTypeDef } from '../introspect/catalog.ts'
import type { TableSelection } from '../introspect/read-plan.ts'

export type { TableSelection }

/**
 * The source side of a load. Every source kind (`sources/<kind>/`) exports one `SourceReader`;
 * the shared writer (`write/`) takes what it reads and owns the destination: shadow table,
 * COPY FROM, indexes, ANALYZE, swap, records. They meet at a stream in a COPY format.
 *
 * A reader never writes to the destination. The stage is a source like any other: `extract`
 * writes a reader's streams to files, `load --date` reads them back through the stage reader.
 *
 * ```ts
 * const session = await postgresReader.open(config, context)   // one snapshot for the whole session
 * const plan = await session.discover()                        // tables with exact types and keys, largest first
 * const worker = await session.worker()                        // per writer worker: its own source connection
 * for await (const part of worker.read(plan.tables[0]!, { preferred: 'binary' })) {
 *   // part.stream: bytes in part.format, piped into COPY … FROM STDIN (FORMAT …) by the writer
 * }
 * await worker.close(); await session.close()
 * ```
 */
export interface SourceReader<Config> {
  readonly kind: string
  /** Opens a session: connections, one consistent snapshot (or the files as they are now). */
  open(config: Config, context: ReaderContext): Promise<ReaderSession>
}

/** What every reader gets, passed explicitly (nothing read from the environment deep down). */
export interface ReaderContext {
  /** The source's name in the config (`postgres`, `csv`, …): run records, selectors, stage folders. */
  sourceName: string
  /** Where its tables land (`raw` unless the source sets `targetSchema`). */
  targetSchema: string
  /** The resolved source database of a `postgres` source (URL or the embedded default's). */
  database?: DatabaseTarget
  connectWaitSeconds: number
  retry: RetryPolicy
  logger: Logger
  signal?: AbortSignal
}

/** What a session will produce: created in the destination before any data moves. */
export interface SourcePlan {
  /** Largest first. `table.schema`/`table.name` are the source's names, `targetSchema`/`name` where it lands. */
  tables: TableDef[]
  types: UserTypeDef[]
  sequences: SequenceDef[]
}

/** A sequence's state as `setval(seq, value, called)` restores it (`last_value`, `is_called`). */
export interface SequenceValue {
  value: string
  called: boolean
}

export interface ReaderSession {
  /** The instant the data is as of: the exported snapshot's time, or when the files were listed. */
  readonly snapshotAt: Date
  /** A human description of where the rows come from, for `_elt.replications.source` (never a password). */
  readonly description: string
  /**
   * Whether this source keeps bad rows out and records them in `_elt_audit.rejected_rows`
   * (a CSV source, or a staged one, with `onError: 'quarantine'`): the summary then counts them.
   */
  readonly quarantines?: boolean
  /**
   * The tables to load (only those `only` selects, when given: `films`, `public.film_*`, matched on
   * the source's `schema.name` or the name; the reader applies it so that keys to a table left out
   * are left out too), with their types and sequences.
   */
  discover(only?: TableSelection): Promise<SourcePlan>
  /** The server session the session reads its catalog and snapshot through (a PostgreSQL source's coordinator), for the stall watch; none for files. */
  backend?(): BackendSession | undefined
  /** A handle for one writer worker (its own connection, same snapshot); closed by the worker. */
  worker(): Promise<TableReader>
  /**
   * After every table is written: the sequences' values read at the end (keyed by the source's
   * `schema.name`), then the snapshot is released.
   */
  finish(): Promise<{ sequences: Map<string, SequenceValue> }>
  close(): Promise<void>
}

/** The COPY format of a stream: what the writer puts after `COPY … FROM STDIN`. */
export type CopyFormat =
  | { kind: 'binary' }
  | { kind: 'text' }
  | {
      kind: 'csv'
      header: 'match' | false
      delimiter: string
      quote: string
      escape: string
      encoding: 'UTF8' | 'LATIN1' | 'WIN1252'
      null: string
      /** A quoted empty field is NULL too (`FORCE_NULL` on every column): CSV exports, not PostgreSQL's own CSV. */
      forceNull?: boolean
    }

export interface TableReader {
  /**
   * The table's rows as one or more parts (a CSV glob: one part per file, in name order), each a
   * stream in a COPY format, as of the session's snapshot. `preferred` is a wish (binary needs the
   * same major version on both sides and built-in types only); the part says what it is.
   */
  read(table: TableDef, options: ReadOptions): AsyncIterable<TablePart>
  /** `--verify`: the table's row count and content hash as the source sees it (same function as the writer's, see verify/content-hash.ts). */
  contentHash?(table: TableDef): Promise<{ rows: number; hash: string }>
  /**
   * Explains a failed load of the table in the source's terms (file, line, column; a table dropped
   * or a snapshot lost meanwhile; the source's statement_timeout), or asks for another attempt with
   * a changed table (a CSV column widened after a late value). `part` is the part whose COPY failed,
   * when one did. `undefined`: the reader has nothing to add, the error stands as it is.
   */
  explain?(table: TableDef, error: unknown, part?: TablePart): Promise<ExplainedFailure | undefined>
  /**
   * Cursor strategies (`incremental`, `append`): the `cursor` values of the newest row (by the
   * cursor columns in order) among the rows `window` selects (all rows without one), as text, as of
   * the same snapshot as `read` (call it after the read, before `done`); null when there is none.
   */
  highWaterMark?(table: TableDef, cursor: readonly string[], window: CursorWindow | undefined): Promise<string[] | null>
  /**
   * `deletes: 'compare-keys'`: the values of `key` of every row, as of the same snapshot as `read`
   * (call it before `done`); with `orderBy` (an SQL `ORDER BY` list of the key) in that order.
   */
  readKeys?(table: TableDef, key: readonly string[], options: ReadOptions & { orderBy?: string }): AsyncIterable<TablePart>
  /** The server session this reader reads through (a PostgreSQL source's connection), for the stall watch (see `watchForStall`); none for files. */
  backend?(): BackendSession | undefined
  /** The table is written (or failed): release what this read held (the snapshot's transaction). */
  done(table: TableDef): Promise<void>
  close(): Promise<void>
}

/** What a reader makes of a failure: another attempt with `retryWith`, or the `error` to report instead. */
export interface ExplainedFailure {
  retryWith?: TableDef
  /** Said in the log and progress when retrying (`column "amount": integer → numeric`). */
  change?: string
  error?: Error
}

/**
 * The rows a cursor strategy reads: those whose `cursor` columns, compared as a row, are past
 * `after` (the last run's mark), or with `lookback` those whose first cursor column is past
 * `after[0] - lookback` (late commits, clock skew).
 *
 * ```sql
 * WHERE ("updated_at") > ('2026-12-01 10:00:00+00'::timestamptz - '10 minutes'::interval)
 * WHERE ("event_day", "event_id") > ('2026-12-01'::date, '1041'::bigint)
 * ```
 */
export interface CursorWindow {
  cursor: readonly string[]
  /** The last mark: cursor values as text, as `highWaterMark` returned them. */
  after: readonly string[]
  /** A PostgreSQL interval (validated by the config). */
  lookback?: string
}

export interface ReadOptions {
  preferred: CopyFormat['kind']
  /** Only the rows past the last mark (cursor strategies); all rows without it. */
  window?: CursorWindow
  /** The destination's major version: binary COPY only when the source's is the same. */
  destinationMajor?: number
  signal?: AbortSignal
  /**
   * Where rows the source rejects go (a CSV source with `onError: 'quarantine'`): the writer
   * records them in `_elt_audit.rejected_rows` in the table's load transaction.
   */
  rejected?: (row: RejectedRow) => Promise<void>
}

export interface RejectedRow {
  /** File (or collection) and line (or document) of the bad row. */
  location: string
  line: number | null
  raw: string
  reason: string
}

export interface TablePart {
  /** `public.films`, `data/orders-2024-01.csv.gz`: named in progress and errors. */
  label: string
  stream: Readable
  format: CopyFormat
  /** Rows the source says it sent, once the stream has ended (a PostgreSQL COPY TO's count); undefined when the source cannot know. */
  rowsSent(): number | undefined
  /**
   * Closes the source's end at once, never awaited: the writer calls it when the destination's
   * end failed or the run was aborted (a PostgreSQL source in COPY OUT mode takes no other
   * statement, so its connection is closed). Without it the writer destroys `stream`.
   */
  cancel?(): void
}
