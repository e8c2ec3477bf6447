import type pg from 'pg'
import { EltError, qualifiedName, quoteIdent, type LockWaitPolicy } from '@elt/core'
import { shadowNames } from '../ddl/shadow-names.ts'
import { copiedColumns, createShadowDdl, indexDdl } from '../ddl/table-ddl.ts'
import { importSnapshot } from '../extract/export-snapshot.ts'
import { sourceName, targetName, type TableDef } from '../introspect/catalog.ts'
import { setLocalSearchPath } from '../introspect/search-path.ts'
import { recordLoad } from '../state/load-state.ts'
import { contentHash } from '../verify/content-hash.ts'
import { copyTable } from './copy-table.ts'
import { explainTimeout } from './explain-timeout.ts'
import { swapTable } from './swap-table.ts'

export interface LoadTableInput {
  table: TableDef
  /** A failed COPY closes the end that did not fail (see copyTable): no client is used again after a failure. */
  source: pg.Client
  destination: pg.Client
  snapshotId: string
  format: 'binary' | 'text'
  verify: boolean
  runId: string
  worker: number
  attempt: number
  onProgress: (rows: number, bytes: number) => void
  signal?: AbortSignal
  /** How long the swap waits for sessions reading the previous copy (see `withLockWait` in `@elt/core`). */
  swapLockWait?: Partial<LockWaitPolicy>
}

export interface LoadTableResult {
  rows: number
  bytes: number
  seconds: number
}

/** `"raw"."elt_new_3f2a9c01d4"`: the shadow table a table is loaded into before the swap. */
const shadowTable = (table: TableDef) => qualifiedName(table.targetSchema, shadowNames(table.targetSchema, table.name).table)

/** The COPY statements of a table: all non-generated columns, in the source's order. */
export function copyStatements(table: TableDef, format: 'binary' | 'text'): { copyOutSql: string; copyInSql: string } {
  const columns = copiedColumns(table).map(quoteIdent).join(', ')
  const list = columns === '' ? '' : ` (${columns})` // a table without columns still has rows
  const source = qualifiedName(table.schema, table.name)
  const shadow = shadowTable(table)
  const freeze = table.partitionKey === null ? ', FREEZE' : ''
  return {
    copyOutSql: table.partitionKey === null
      ? `COPY ${source}${list} TO STDOUT (FORMAT ${format})`
      : `COPY (SELECT ${columns} FROM ${source}) TO STDOUT (FORMAT ${format})`,
    copyInSql: `COPY ${shadow}${list} FROM STDIN (FORMAT ${format}${freeze})`,
  }
}

/**
 * Loads one table as of the exported snapshot, all in one destination transaction:
 * shadow table, COPY (`FREEZE`: the table is new in this transaction), primary key, unique
 * constraints and indexes, row-count (and with `verify` content-hash) check, `ANALYZE`, swap,
 * and the `_elt.table_loads` record. Analysing here overlaps it with the other tables' copies.
 * A failure or a kill at any point leaves the previous copy intact.
 */
export async function loadTable(input: LoadTableInput): Promise<LoadTableResult> {
  const { table, source, destination } = input
  const started = performance.now()
  await importSnapshot(source, input.snapshotId)
  await destination.query('BEGIN')
  try {
    await setLocalSearchPath(destination, table.targetSchema)
    for (const sql of createShadowDdl(table)) await destination.query(sql)
    const { copyOutSql, copyInSql } = copyStatements(table, input.format)
    const copied = await copyTable({
      source,
      destination,
      copyOutSql,
      copyInSql,
      format: input.format,
      onProgress: input.onProgress,
      signal: input.signal,
    })
    if (copied.rowsIn !== copied.rowsOut) {
      throw new EltError(`Row count mismatch for ${sourceName(table)}: ${copied.rowsOut} rows read from the source, ${copied.rowsIn} written to ${targetName(table)}.`, {
        hint: 'The previous copy of the table was kept. Rerun; if it happens again, report it with the table definition.',
      })
    }
    const indexes = indexDdl(table)
    for (const index of indexes) await destination.query(index.sql)
    const shadow = shadowTable(table)
    if (input.verify) {
      // COPY of a plain table reads only its own rows, not those of tables inheriting from it
      const only = table.partitionKey === null
      const [expected, actual] = await Promise.all([
        contentHash(source, qualifiedName(table.schema, table.name), { only }),
        contentHash(destination, shadow, { only }),
      ])
      if (expected.rows !== actual.rows || expected.hash !== actual.hash) {
        throw new EltError(`Content hash mismatch for ${sourceName(table)} → ${targetName(table)} (source ${expected.rows} rows, destination ${actual.rows} rows).`, {
          hint: 'The previous copy of the table was kept. A type whose text form differs between the servers can cause this; compare the two tables with `select t::text from … t`.',
        })
      }
    }
    await source.query('COMMIT') // the source is done with: release its snapshot before analysing
    await destination.query(`ANALYZE ${shadow}`) // statistics move with the table when it is renamed
    await swapTable(destination, table, indexes, { lockWait: input.swapLockWait })
    const seconds = Math.round(performance.now() - started) / 1000
    await recordLoad(destination, {
      runId: input.runId,
      sourceTable: sourceName(table),
      targetTable: targetName(table),
      status: 'done',
      rows: copied.rowsOut,
      bytes: copied.bytes,
      seconds,
      worker: input.worker,
      attempts: input.attempt,
    })
    await destination.query('COMMIT')
    return { rows: copied.rowsOut, bytes: copied.bytes, seconds }
  } catch (error) {
    // after a failed COPY the end that did not fail is already closed (see copyTable): its ROLLBACK fails at once
    await destination.query('ROLLBACK').catch(() => {})
    await source.query('ROLLBACK').catch(() => {})
    throw await explainTimeout(error, table, { source, destination })
  }
}
