import { EltError, ExitCode } from '@elt/core'
import { sourceName } from '../introspect/catalog.ts'
import { writeCursorTable } from './merge/write-cursor-table.ts'
import type { ReplicationStrategy, StrategyCounts, TableStrategy } from './table-strategy.ts'
import { writeTable, type WriteTableInput, type WriteTableResult } from './write-table.ts'

/** What every strategy's writer gets: the shared writer's input plus the table's settings. */
export interface StrategyWriteInput extends WriteTableInput {
  strategy: TableStrategy
  /** `--full-refresh`: copy the table whole and start its marks again, whatever its strategy. */
  fullRefresh: boolean
}

export type StrategyWriteResult = WriteTableResult & StrategyCounts

/** Writes one table its strategy's way, in one destination transaction, recording `_elt.table_loads` itself. */
export type TableWriter = (input: StrategyWriteInput) => Promise<StrategyWriteResult>

/**
 * The per-table dispatch point: `runWriters` hands each table to the writer of its strategy
 * (`replicate.tables['schema.table'].strategy`, default `full`). Every writer gets the same input
 * (the table, its reader, a destination client outside any transaction, run id, worker, signal,
 * `swapLockWait`, progress callbacks), owns its destination transaction (data, `_elt.table_loads`
 * with the strategy and counts, and its marks/changes in the same commit), and returns rows read
 * from the source plus `inserted`/`updated`/`deleted`. A transient error is retried by the pool
 * with a fresh client and reader; a writer must leave nothing half-applied on any error.
 *
 * A strategy plugs in by replacing its entry here with its writer, which records its window with
 * `recordTableChange` (`state/table-changes.ts`); its first run may call `writeTable` with
 * `withinSnapshot` to copy the table whole as of the reader's snapshot and record its start
 * position in the same commit. `cdc` tables are the exception: a slot and its stream belong to a
 * whole source, so `replicateCdc` (`sources/postgres-cdc/`) loads them and the CLI leaves them
 * out of `loadSources`; here they are refused.
 *
 * ```ts
 * const result = await tableWriters[input.strategy.strategy](input)
 * // { rows: 1200, bytes: 96000, seconds: 0.4, rejected: 0, strategy: 'incremental', inserted: 200, updated: 1000, deleted: 0 }
 * ```
 */
export const tableWriters: Readonly<Record<ReplicationStrategy, TableWriter>> = {
  full: writeFullTable,
  incremental: writeCursorTable,
  append: writeCursorTable,
  cdc: async (input) => {
    throw new EltError(`${sourceName(input.table)} has strategy "cdc": its slot's stream loads it (replicateCdc), not a copy.`, {
      hint: 'Run it through `pnpm elt replicate` (which streams cdc tables), or leave it out of this load (exclude).',
      exitCode: ExitCode.usage,
    })
  },
}

/** `full`: today's path (shadow, COPY, indexes, ANALYZE, swap); a mark left by an earlier cursor strategy is dropped in the same commit. */
async function writeFullTable(input: StrategyWriteInput): Promise<StrategyWriteResult> {
  const result = await writeTable(input)
  return { ...result, strategy: 'full', inserted: result.rows, updated: 0, deleted: 0 }
}
