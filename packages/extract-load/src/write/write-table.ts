import type pg from 'pg'
import { EltError, qualifiedName, type LockWaitPolicy } from '@elt/core'
import { shadowNames } from '../ddl/shadow-names.ts'
import { copiedColumns, createShadowDdl, indexDdl } from '../ddl/table-ddl.ts'
import { sourceName, targetName, type TableDef } from '../introspect/catalog.ts'
import { setLocalSearchPath } from '../introspect/search-path.ts'
import { swapTable } from '../load/swap-table.ts'
import { RejectedRowsWriter } from '../sources/csv/rejected-rows.ts'
import type { CopyFormat, TablePart, TableReader } from '../sources/source-reader.ts'
import { recordLoad } from '../state/load-state.ts'
import { recordTableChange } from '../state/table-changes.ts'
import { dropTableMark } from '../state/table-marks.ts'
import { contentHash } from '../verify/content-hash.ts'
import { copyFromSql } from './copy-from-sql.ts'
import { copyPart, type FailedEnd } from './copy-part.ts'
import { isStatementTimeout, readTimeoutLimit, statementTimeoutError } from './explain-timeout.ts'
import { RejectedSpool } from './rejected-spool.ts'
import type { ReplicationStrategy } from './table-strategy.ts'

export interface WriteTableInput {
  table: TableDef
  reader: TableReader
  /** The source's name in the config: `_elt.table_loads.source_name`, `_elt_audit.rejected_rows.source`. */
  sourceName: string
  /** A failed COPY closes the end that did not fail (see copyPart): `onFailure` says which end failed. */
  destination: pg.Client
  preferred: CopyFormat['kind']
  destinationMajor: number
  verify: boolean
  runId: string
  worker: number
  attempt: number
  /** A part starts streaming (its format is known from here). */
  onPart: (part: TablePart, index: number) => void
  onProgress: (rows: number, bytes: number) => void
  onFailure: (end: FailedEnd) => void
  signal?: AbortSignal
  /** How long the swap waits for sessions reading the previous copy (see `withLockWait` in `@elt/core`). */
  swapLockWait?: Partial<LockWaitPolicy>
  /** The strategy recorded in `_elt.table_loads` and `_elt.table_changes` (default `full`): a cursor strategy's first run copies the table whole too. */
  recordStrategy?: ReplicationStrategy
  /**
   * Runs after every part is copied, while the reader still holds its snapshot and the load's
   * destination transaction is open: a cursor strategy reads its high-water mark as of the copy and
   * saves it here, so the mark commits with the data. Returns the mark recorded as `to_mark`.
   */
  withinSnapshot?: () => Promise<unknown>
}

export interface WriteTableResult {
  rows: number
  bytes: number
  seconds: number
  /** Rows the source kept out and recorded in `_elt_audit.rejected_rows` (a CSV source with `onError: 'quarantine'`). */
  rejected: number
}

/** The reader asked for another attempt with a changed table (a CSV column widened): the caller loads `table` again. */
export class RetryTable extends Error {
  constructor(
    readonly table: TableDef,
    readonly change: string,
    override readonly cause: unknown,
  ) {
    super(`retry ${sourceName(table)}: ${change}`)
  }
}

/** `"raw"."elt_new_3f2a9c01d4"`: the shadow table a table is loaded into before the swap. */
export const shadowTable = (table: TableDef): string => qualifiedName(table.targetSchema, shadowNames(table.targetSchema, table.name).table)

/**
 * Writes one table from its reader, all in one destination transaction: shadow table, COPY of
 * each part in its format (`FREEZE`: the table is new in this transaction), each part's row count
 * checked against what the source says it sent, rejected rows recorded, primary key, unique
 * constraints and indexes, with `verify` the content hash compared with the reader's, the
 * reader's hold released (its snapshot), `ANALYZE`, swap, and the `_elt.table_loads` record.
 * Analysing here overlaps it with the other tables' copies. A failure or a kill at any point
 * leaves the previous copy intact; the reader explains a failure in its terms or asks for another
 * attempt ({@link RetryTable}).
 *
 * ```sql
 * BEGIN; SET LOCAL search_path = "raw";
 * CREATE TABLE "raw"."elt_new_3f2a9c01d4" (…);
 * COPY "raw"."elt_new_3f2a9c01d4" ("film_id", …) FROM STDIN (FORMAT binary, FREEZE);
 * ALTER TABLE "raw"."elt_new_3f2a9c01d4" ADD CONSTRAINT "elt_idx_3f2a9c01d4_0" PRIMARY KEY (film_id);
 * ANALYZE "raw"."elt_new_3f2a9c01d4"; … swap …; insert into _elt.table_loads …; COMMIT
 * ```
 */
export async function writeTable(input: WriteTableInput): Promise<WriteTableResult> {
  const { table, reader, destination } = input
  const started = performance.now()
  let current: TablePart | undefined
  // rows the reader rejects while its part streams; written after the part's COPY (the connection is busy until then)
  const pending = new RejectedSpool()
  await destination.query('BEGIN')
  try {
    await setLocalSearchPath(destination, table.targetSchema)
    for (const sql of createShadowDdl(table)) await destination.query(sql)
    const shadow = shadowTable(table)
    const columns = copiedColumns(table)
    const rejected = new RejectedRowsWriter(destination, { runId: input.runId, source: input.sourceName, targetTable: targetName(table) })
    let rows = 0
    let bytes = 0
    let index = 0
    const parts = reader.read(table, {
      preferred: input.preferred,
      destinationMajor: input.destinationMajor,
      ...(input.signal ? { signal: input.signal } : {}),
      rejected: (row) => pending.add(row),
    })
    for await (const part of parts) {
      current = part
      input.onPart(part, index++)
      const copied = await copyPart({
        part,
        destination,
        copyInSql: copyFromSql(shadow, columns, part.format, { freeze: table.partitionKey === null }),
        onProgress: (r, b) => input.onProgress(rows + r, bytes + b),
        onFailure: input.onFailure,
        ...(input.signal ? { signal: input.signal } : {}),
      })
      const sent = part.rowsSent()
      if (sent !== undefined && sent !== copied.rowsIn) {
        throw new EltError(`Row count mismatch for ${sourceName(table)}: ${sent} rows read from the source, ${copied.rowsIn} written to ${targetName(table)}.`, {
          hint: 'The previous copy of the table was kept. Rerun; if it happens again, report it with the table definition.',
        })
      }
      rows += copied.rowsIn
      bytes += copied.bytes
      for await (const row of pending.drain()) await rejected.add({ file: row.location, line: row.line ?? 0, raw: row.raw, reason: row.reason })
      current = undefined
    }
    await rejected.flush()
    const strategy = input.recordStrategy ?? 'full'
    const toMark = input.withinSnapshot ? await input.withinSnapshot() : null
    if (!input.withinSnapshot) await dropTableMark(destination, input.sourceName, sourceName(table)) // a whole copy: a later cursor run starts over
    const indexes = indexDdl(table)
    for (const index of indexes) await destination.query(index.sql)
    if (input.verify && reader.contentHash) {
      const [expected, actual] = await Promise.all([
        reader.contentHash(table),
        // COPY of a plain table reads only its own rows, not those of tables inheriting from it
        contentHash(destination, shadow, { only: table.partitionKey === null }),
      ])
      if (expected.rows !== actual.rows || expected.hash !== actual.hash) {
        throw new EltError(`Content hash mismatch for ${sourceName(table)} → ${targetName(table)} (source ${expected.rows} rows, destination ${actual.rows} rows).`, {
          hint: 'The previous copy of the table was kept. A type whose text form differs between the servers can cause this; compare the two tables with `select t::text from … t`.',
        })
      }
    }
    await reader.done(table) // the source is done with: release its snapshot before analysing
    await destination.query(`ANALYZE ${shadow}`) // statistics move with the table when it is renamed
    await swapTable(destination, table, indexes, { lockWait: input.swapLockWait })
    const seconds = Math.round(performance.now() - started) / 1000
    await recordLoad(destination, {
      runId: input.runId,
      sourceName: input.sourceName,
      sourceTable: sourceName(table),
      targetTable: targetName(table),
      status: 'done',
      rows,
      bytes,
      seconds,
      worker: input.worker,
      attempts: input.attempt,
      strategy,
      inserted: rows,
      updated: 0,
      deleted: 0,
    })
    await recordTableChange(destination, {
      runId: input.runId,
      sourceName: input.sourceName,
      sourceTable: sourceName(table),
      targetTable: targetName(table),
      strategy,
      fullCopy: true,
      fromMark: null,
      toMark,
      rows,
      inserted: rows,
      updated: 0,
      deleted: 0,
    })
    await destination.query('COMMIT')
    return { rows, bytes, seconds, rejected: rejected.count }
  } catch (error) {
    // after a failed COPY the end that did not fail is already closed (see copyPart): its ROLLBACK fails at once
    await destination.query('ROLLBACK').catch(() => {})
    await reader.done(table).catch(() => {})
    await pending.discard().catch(() => {})
    throw await explainFailure(error, input, current)
  }
}

/** The error to report for a failed table: the destination's statement_timeout, else the reader's explanation (or retry), else as it is. */
export async function explainFailure(error: unknown, input: WriteTableInput, part: TablePart | undefined): Promise<unknown> {
  if (input.signal?.aborted) return input.signal.reason
  if (isStatementTimeout(error)) {
    const limit = await readTimeoutLimit(input.destination, 'destination')
    if (limit) return statementTimeoutError(error, input.table, [limit])
  }
  const explained = await input.reader.explain?.(input.table, error, part).catch(() => undefined)
  if (explained?.retryWith) return new RetryTable(explained.retryWith, explained.change ?? 'another attempt', explained.error ?? error)
  if (explained?.error) return explained.error
  return isStatementTimeout(error) ? statementTimeoutError(error, input.table, []) : error
}
