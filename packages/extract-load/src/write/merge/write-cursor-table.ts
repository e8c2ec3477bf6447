import { Readable, pipeline } from 'node:stream'
import { pipeline as pipelinePromise } from 'node:stream/promises'
import type pg from 'pg'
import copyStreams from 'pg-copy-streams'
import { EltError, ExitCode, qualifiedName, quoteIdent, withLockWait } from '@elt/core'
import { copiedColumns } from '../../ddl/table-ddl.ts'
import { sourceName, targetName } from '../../introspect/catalog.ts'
import { setLocalSearchPath } from '../../introspect/search-path.ts'
import type { CursorWindow, TablePart } from '../../sources/source-reader.ts'
import { recordLoad } from '../../state/load-state.ts'
import { recordTableChange } from '../../state/table-changes.ts'
import { readTableMark, saveTableMark, type TableMark } from '../../state/table-marks.ts'
import { copyFromSql } from '../copy-from-sql.ts'
import { copyPart } from '../copy-part.ts'
import { cursorColumns } from '../table-strategy.ts'
import type { StrategyWriteInput, StrategyWriteResult } from '../table-writers.ts'
import { explainFailure, writeTable } from '../write-table.ts'
import { applySchemaChanges } from './apply-schema-changes.ts'
import { ensureUniqueKey } from './ensure-unique-key.ts'
import { CopyChunker } from './copy-chunker.ts'
import { deleteMissingKeys } from './delete-missing-keys.ts'
import { appendSql, deleteMissingSql, upsertSql } from './merge-sql.ts'
import { sortedKeyOrder } from './sorted-key-order.ts'

const delta = 'pg_temp.elt_delta'
const keys = 'pg_temp.elt_keys'

/**
 * `incremental` and `append`. The first run (no mark for the table, the raw table missing, the
 * cursor or strategy changed, or `--full-refresh`) copies the table whole through `writeTable` and
 * saves the high-water mark of the cursor read in the same snapshot as the copy, in the copy's
 * transaction. A later run reads only the window past the mark (minus `lookback`) into a temporary
 * table and merges it set-based (see `mergeWindow`); the new mark commits with the merged rows, so a
 * crash at any point leaves the previous mark with the previous rows and the rerun reads the same
 * window again: nothing skipped, nothing applied twice.
 */
export async function writeCursorTable(input: StrategyWriteInput): Promise<StrategyWriteResult> {
  const { table, strategy, reader } = input
  const cursor = cursorColumns(strategy)
  if (!reader.highWaterMark) {
    throw new EltError(`${sourceName(table)} has strategy "${strategy.strategy}", which its source cannot read.`, {
      hint: 'Cursor strategies need a PostgreSQL source; give the table strategy "full".',
      exitCode: ExitCode.usage,
    })
  }
  const previous = input.fullRefresh ? undefined : await usableMark(input.destination, input, cursor)
  if (previous?.mark === undefined || previous.mark === null) {
    // first run (or an empty table last time): a whole copy; the mark read in the copy's snapshot commits with it
    const result = await writeTable({
      ...input,
      recordStrategy: strategy.strategy,
      withinSnapshot: async () => {
        const mark = await reader.highWaterMark!(table, cursor, undefined)
        await saveTableMark(input.destination, markOf(input, cursor, mark))
        return mark
      },
    })
    return { ...result, strategy: strategy.strategy, inserted: result.rows, updated: 0, deleted: 0 }
  }
  return mergeWindow(input, { cursor, after: previous.mark, ...(strategy.lookback !== undefined ? { lookback: strategy.lookback } : {}) })
}

/** The table's mark when it can be continued from: same target, strategy and cursor, and the raw table still there. */
async function usableMark(client: pg.ClientBase, input: StrategyWriteInput, cursor: readonly string[]): Promise<TableMark | undefined> {
  const mark = await readTableMark(client, input.sourceName, sourceName(input.table))
  if (!mark || mark.targetTable !== targetName(input.table) || mark.strategy !== input.strategy.strategy) return undefined
  if (mark.cursorColumns.join('\u0000') !== cursor.join('\u0000')) return undefined
  const { rows } = await client.query<{ ok: boolean }>('select to_regclass($1) is not null as ok', [qualifiedName(input.table.targetSchema, input.table.name)])
  return rows[0]?.ok ? mark : undefined
}

const markOf = (input: StrategyWriteInput, cursor: readonly string[], mark: string[] | null): TableMark => ({
  sourceName: input.sourceName,
  sourceTable: sourceName(input.table),
  targetTable: targetName(input.table),
  strategy: input.strategy.strategy,
  cursorColumns: [...cursor],
  mark,
  runId: input.runId,
})

/**
 * A later run of a cursor table, in one destination transaction: source schema changes applied
 * (see `applySchemaChanges`), the window streamed into a temporary table (`COPY … FROM STDIN`),
 * its new mark and (with `deletes: 'compare-keys'`) every source key read in the same snapshot,
 * the upsert (`incremental`) or insert (`append`) and the key-only anti-join delete, the mark,
 * `_elt.table_changes` and `_elt.table_loads`. The raw table's lock is had within a bounded wait
 * (see `withLockWait`). `incremental` upserts the window a payload of about 1 MB at a time while
 * the source sends the next (the source's read and the destination's upsert overlap, as a full
 * copy's two ends do); `append` inserts the whole window in one statement (its duplicate check
 * must not see the window's own rows). No swap: grants, views and foreign keys on the raw table
 * stay as they are.
 *
 * ```sql
 * BEGIN; SET LOCAL search_path = "raw";
 * CREATE TEMP TABLE elt_delta ON COMMIT DROP AS SELECT "order_id", … FROM "raw"."orders" WITH NO DATA;
 * LOCK TABLE "raw"."orders" IN ROW EXCLUSIVE MODE;             -- in a savepoint with a lock_timeout
 * COPY pg_temp.elt_delta (…) FROM STDIN (FORMAT binary);      -- COPY (SELECT … WHERE ("updated_at") > (…)) TO STDOUT on the source
 * WITH merged AS (INSERT … ON CONFLICT ("order_id") DO UPDATE … RETURNING …) SELECT …; TRUNCATE pg_temp.elt_delta;
 * …                                                            -- the next payload
 * -- compare-keys: both sides' keys walked in order (see `deleteMissingKeys`), or for a text key:
 * DELETE FROM "raw"."orders" t WHERE NOT EXISTS (SELECT 1 FROM pg_temp.elt_keys k WHERE …);
 * insert into _elt.table_marks …; insert into _elt.table_changes …; insert into _elt.table_loads …; COMMIT
 * ```
 */
async function mergeWindow(input: StrategyWriteInput, window: CursorWindow): Promise<StrategyWriteResult> {
  const { table, reader, destination, strategy } = input
  const started = performance.now()
  const target = qualifiedName(table.targetSchema, table.name)
  const lockWait = { what: `merge into ${targetName(table)}`, relations: () => [target], policy: input.swapLockWait }
  const key = strategy.primaryKey ?? []
  const mergeColumns = table.columns.filter((c) => c.generated === null)
  const upsert = strategy.strategy === 'incremental' ? upsertSql(target, delta, mergeColumns, key) : undefined
  const counts = { inserted: 0, updated: 0, deleted: 0 }
  /** The rows in the window table upserted, counted, and cleared for the next payload. */
  const upsertWindow = async (sql: string) => {
    const { rows } = await destination.query<{ inserted: number; updated: number }>(sql)
    counts.inserted += rows[0]?.inserted ?? 0
    counts.updated += rows[0]?.updated ?? 0
    await destination.query(`TRUNCATE ${delta}`)
  }
  let current: TablePart | undefined
  await destination.query('BEGIN')
  try {
    await setLocalSearchPath(destination, table.targetSchema)
    await applySchemaChanges(destination, table, { sourceName: input.sourceName, ...(input.swapLockWait ? { lockWait: input.swapLockWait } : {}) })
    const columns = copiedColumns(table)
    const list = columns.map(quoteIdent).join(', ')
    await destination.query(`CREATE TEMP TABLE elt_delta ON COMMIT DROP AS SELECT ${list} FROM ${target} WITH NO DATA`)
    if (upsert) {
      // the lock the upserts need, had within the bounded wait before the window streams
      await withLockWait(destination, lockWait, async () => {
        await ensureUniqueKey(destination, target, key)
        await destination.query(`LOCK TABLE ${target} IN ROW EXCLUSIVE MODE`)
      })
    }
    const read = { preferred: input.preferred, destinationMajor: input.destinationMajor, ...(input.signal ? { signal: input.signal } : {}) }
    let rows = 0
    let bytes = 0
    let index = 0
    for await (const part of reader.read(table, { ...read, window })) {
      current = part
      input.onPart(part, index++)
      const progress = (r: number, b: number) => input.onProgress(rows + r, bytes + b)
      // upserted a payload at a time while the source sends the next (see `CopyChunker`; a CSV part is cut by no row counter here)
      const chunked = upsert !== undefined && part.format.kind !== 'csv'
      const copied = chunked ? await copyInChunks(input, part, columns, () => upsertWindow(upsert), progress) : await copyInto(input, part, delta, columns, progress)
      if (upsert && !chunked) await upsertWindow(upsert)
      rows += copied.rowsIn
      bytes += copied.bytes
      current = undefined
    }
    const newMark = await laterMark(destination, table, window, await reader.highWaterMark!(table, window.cursor, window))
    let keysCopied = false
    if (strategy.strategy === 'incremental' && strategy.deletes === 'compare-keys') {
      if (!reader.readKeys) throw new EltError(`${sourceName(table)}: deletes "compare-keys" needs a source that can list its keys.`, { hint: 'Use deletes: "ignore".', exitCode: ExitCode.usage })
      // a key of integers, dates, timestamps or uuids: both sides' keys compared in order as they stream; any other: the anti-join
      const order = sortedKeyOrder(table.columns, key)
      for await (const part of reader.readKeys(table, key, { ...read, ...(order ? { orderBy: order.orderBy } : {}) })) {
        current = part
        if (order && part.format.kind === 'binary') {
          counts.deleted += await deleteMissingKeys({ destination, target, key, order, sourceKeys: part, onFailure: input.onFailure, ...(input.signal ? { signal: input.signal } : {}) })
        } else {
          if (!keysCopied) await destination.query(`CREATE TEMP TABLE elt_keys ON COMMIT DROP AS SELECT ${key.map(quoteIdent).join(', ')} FROM ${target} WITH NO DATA`)
          keysCopied = true
          await copyInto(input, part, keys, key, () => {})
        }
        current = undefined
      }
      if (keysCopied) await destination.query(`ANALYZE ${keys}`)
    }
    await reader.done(table) // the snapshot is no longer needed
    if (upsert) {
      if (keysCopied) counts.deleted = (await destination.query(deleteMissingSql(target, keys, key))).rowCount ?? 0
    } else {
      // append's duplicate check joins the whole window to the raw table in one statement (rows equal in every column may repeat in a window)
      await destination.query(`ANALYZE ${delta}`)
      const insert = appendSql(target, delta, mergeColumns, window.lookback !== undefined ? { skipPresentFrom: window.cursor[0]! } : {})
      counts.inserted = await withLockWait(destination, lockWait, async () => (await destination.query(insert)).rowCount ?? 0)
    }
    await saveTableMark(destination, markOf(input, window.cursor, newMark))
    const seconds = Math.round(performance.now() - started) / 1000
    const names = { runId: input.runId, sourceName: input.sourceName, sourceTable: sourceName(table), targetTable: targetName(table) }
    const fromMark = await windowStart(destination, table, window)
    await recordTableChange(destination, { ...names, strategy: strategy.strategy, fullCopy: false, fromMark, toMark: newMark, rows, ...counts })
    await recordLoad(destination, { ...names, status: 'done', rows, bytes, seconds, worker: input.worker, attempts: input.attempt, strategy: strategy.strategy, ...counts })
    await destination.query('COMMIT')
    return { rows, bytes, seconds, rejected: 0, strategy: strategy.strategy, ...counts }
  } catch (error) {
    await destination.query('ROLLBACK').catch(() => {})
    await reader.done(table).catch(() => {})
    throw await explainFailure(error, input, current)
  }
}

/**
 * The window's exclusive lower bound as text: the previous mark, or with a lookback its first
 * value minus the lookback (computed by the destination: the cursor's type is built in).
 *
 * ```sql
 * select ('2026-12-01 11:40:00+00'::timestamp with time zone - '10 minutes'::interval)::text as start
 * ```
 */
async function windowStart(client: pg.ClientBase, table: StrategyWriteInput['table'], window: CursorWindow): Promise<string[]> {
  if (window.lookback === undefined) return [...window.after]
  const type = table.columns.find((c) => c.name === window.cursor[0])?.type ?? 'text'
  const { rows } = await client.query<{ start: string }>(`select ($1::${type} - $2::interval)::${type}::text as start`, [window.after[0], window.lookback])
  return [rows[0]!.start]
}

/**
 * The mark after this run: the newest cursor value of the window, never older than the previous
 * mark (with a lookback the window's newest row may be older when the row at the mark was deleted
 * or moved), the previous mark when the window was empty.
 *
 * ```sql
 * select '2026-12-01 11:59:00+00'::timestamp with time zone < '2026-12-01 12:01:00+00'::timestamp with time zone as older
 * ```
 */
async function laterMark(client: pg.ClientBase, table: StrategyWriteInput['table'], window: CursorWindow, found: string[] | null): Promise<string[]> {
  if (found === null) return [...window.after]
  if (window.lookback === undefined) return found // the window holds only rows past the previous mark
  const type = table.columns.find((c) => c.name === window.cursor[0])?.type ?? 'text'
  const { rows } = await client.query<{ older: boolean }>(`select $1::${type} < $2::${type} as older`, [found[0], window.after[0]])
  return rows[0]?.older ? [...window.after] : found
}

/** Bytes of window rows per upsert: 10,000 rows of 100 bytes; the read-ahead holds two more. */
const payloadBytes = 1 << 20

/**
 * One part into the window table a payload of whole rows at a time (see `CopyChunker`), `merge`
 * run after each payload while the source goes on sending, the part's row count checked against
 * what the source sent. Every COPY here reads from memory and always completes: when the source
 * fails, the destination is between statements (its transaction is rolled back by the caller);
 * when the destination fails, the source's end is cancelled.
 *
 * ```sql
 * COPY pg_temp.elt_delta ("order_id", …) FROM STDIN (FORMAT binary);   -- rows 1–10,000 (header + rows + trailer)
 * WITH merged AS (INSERT INTO "raw"."orders" … ON CONFLICT …) SELECT …; TRUNCATE pg_temp.elt_delta;
 * COPY pg_temp.elt_delta ("order_id", …) FROM STDIN (FORMAT binary);   -- rows 10,001–20,000 …
 * ```
 */
async function copyInChunks(
  input: StrategyWriteInput,
  part: TablePart,
  columns: readonly string[],
  merge: () => Promise<void>,
  onProgress: (rows: number, bytes: number) => void,
): Promise<{ rowsIn: number; bytes: number }> {
  const chunker = new CopyChunker(part.format.kind === 'binary' ? 'binary' : 'text', payloadBytes)
  part.stream.on('error', () => {}) // a late 'Connection terminated' after a cancel finds a listener (the iteration reports errors)
  const payloads = pipeline(part.stream, chunker, () => {}) // a source error ends the iteration below with it
  const sql = copyFromSql(delta, columns, part.format)
  let rowsIn = 0
  let destinationFailed = false
  try {
    for await (const payload of payloads as AsyncIterable<Buffer>) {
      if (input.signal?.aborted) throw input.signal.reason
      try {
        const into = input.destination.query(copyStreams.from(sql))
        await pipelinePromise(Readable.from([payload]), into)
        rowsIn += into.rowCount
        await merge()
      } catch (error) {
        destinationFailed = true
        throw error
      }
      onProgress(rowsIn, chunker.bytesIn)
    }
  } catch (error) {
    const aborted = input.signal?.aborted === true
    if (destinationFailed || aborted) {
      input.onFailure(aborted ? 'both' : 'destination')
      ;(part.cancel ?? (() => part.stream.destroy()))()
    }
    throw error
  }
  checkRowsSent(input, part, rowsIn)
  return { rowsIn, bytes: chunker.bytesIn }
}

/** The destination loaded what the source says it sent, or nothing is merged. */
function checkRowsSent(input: StrategyWriteInput, part: TablePart, rowsIn: number): void {
  const sent = part.rowsSent()
  if (sent !== undefined && sent !== rowsIn) {
    throw new EltError(`Row count mismatch for ${part.label}: ${sent} rows read from the source, ${rowsIn} written to ${targetName(input.table)}'s window.`, {
      hint: 'Nothing was merged and the mark did not move. Rerun; if it happens again, report it with the table definition.',
    })
  }
}

/** One part into a temporary table, its row count checked against what the source sent. */
async function copyInto(input: StrategyWriteInput, part: TablePart, into: string, columns: readonly string[], onProgress: (rows: number, bytes: number) => void) {
  const copied = await copyPart({
    part,
    destination: input.destination,
    copyInSql: copyFromSql(into, columns, part.format),
    onProgress,
    onFailure: input.onFailure,
    ...(input.signal ? { signal: input.signal } : {}),
  })
  checkRowsSent(input, part, copied.rowsIn)
  return copied
}

