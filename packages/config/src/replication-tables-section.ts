import { z } from 'zod'
import { configSection } from './config-section.ts'
import { nonEmptyText } from './config-values.ts'

/**
 * `tables` (on `replicate`, or on a postgres source in `sources`): how each named source table is
 * replicated. A table not named here is copied whole every run (`strategy: 'full'`, the default).
 *
 * ```ts
 * tables: {
 *   'public.orders':   { strategy: 'incremental', cursor: 'updated_at', primaryKey: ['order_id'], lookback: '10 minutes' },
 *   'public.events':   { strategy: 'append', cursor: 'event_id' },
 *   'public.accounts': { strategy: 'cdc' },
 * }
 * ```
 *
 * - `incremental`: rows whose `cursor` is newer than the last run's mark (minus `lookback`) are
 *   upserted by `primaryKey` (default: the source table's primary key).
 * - `append`: rows whose `cursor` is newer are inserted; rows the lookback reads again are skipped.
 * - `cdc`: logical replication (see the CDC source).
 * - `deletes`: `ignore` (default) or `compare-keys` (the source's keys are compared each run and
 *   rows missing from it are deleted).
 */

/** `10 minutes`, `1 hour 30 minutes`, `2 days`, `500 ms`: a PostgreSQL interval of whole or decimal amounts and units. */
const intervalUnit = '(microseconds?|us|milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w)'
const intervalPattern = new RegExp(`^\\s*\\d+(\\.\\d+)?\\s*${intervalUnit}(\\s+\\d+(\\.\\d+)?\\s*${intervalUnit})*\\s*$`, 'i')
const intervalExpected = 'a PostgreSQL interval such as "10 minutes", "1 hour" or "2 days"'
export const lookbackInterval = z.string({ error: intervalExpected }).regex(intervalPattern, { error: intervalExpected })

const columnName = nonEmptyText('a column name').refine((c) => Buffer.byteLength(c) <= 63, { error: 'a column name of at most 63 bytes' })
const columnList = z.array(columnName, { error: 'a list of column names such as ["order_id"]' }).min(1, { error: 'a list of at least one column name such as ["order_id"]' })

export const replicationStrategies = ['full', 'incremental', 'append', 'cdc'] as const
export type ReplicationStrategy = (typeof replicationStrategies)[number]

export const tableReplicationSection = configSection(
  {
    strategy: z.enum(replicationStrategies, { error: '"full", "incremental", "append" or "cdc"' }),
    /** Column(s) whose value grows with every change (`updated_at`, `event_id`); several compare as a row (`(a, b) > (…)`). */
    cursor: z.union([columnName, columnList], { error: 'a column name or a list of column names such as "updated_at"' }).optional(),
    /** The upsert key of `incremental` (default: the source table's primary key). */
    primaryKey: columnList.optional(),
    /** How far back each run reads before the last mark (late commits, clock skew); a PostgreSQL interval. */
    lookback: lookbackInterval.optional(),
    deletes: z.enum(['ignore', 'compare-keys'], { error: '"ignore" or "compare-keys"' }).optional(),
  },
  'a table setting { strategy, cursor?, primaryKey?, lookback?, deletes? }',
).superRefine((table, context) => {
  const cursorStrategy = table.strategy === 'incremental' || table.strategy === 'append'
  if (cursorStrategy && table.cursor === undefined) {
    context.addIssue({ code: 'custom', path: ['cursor'], input: undefined, message: `a cursor column (strategy "${table.strategy}" reads the rows whose cursor grew since the last run)` })
  }
  if (!cursorStrategy) {
    for (const key of ['cursor', 'lookback'] as const) {
      if (table[key] !== undefined) context.addIssue({ code: 'custom', path: [key], input: table[key], message: `nothing here with strategy "${table.strategy}" (only "incremental" and "append" use it)` })
    }
  }
  if (table.deletes === 'compare-keys' && table.strategy !== 'incremental') {
    context.addIssue({ code: 'custom', path: ['deletes'], input: table.deletes, message: '"ignore" with this strategy ("compare-keys" needs strategy "incremental")' })
  }
  if (table.strategy === 'append' && table.primaryKey !== undefined) {
    context.addIssue({ code: 'custom', path: ['primaryKey'], input: table.primaryKey, message: 'nothing here with strategy "append" (rows are told apart by their cursor)' })
  }
})

const tableKey = z.string().regex(/^[^.]+\.[^.]+$/, { error: 'a source table as "schema.table", such as "public.orders"' })

export const replicationTablesSection = z.record(tableKey, tableReplicationSection, {
  error: (issue) => (issue.code === 'invalid_key' ? 'a source table as "schema.table", such as "public.orders"' : 'a map of "schema.table" to table settings such as { "public.orders": { strategy: "incremental", cursor: "updated_at" } }'),
})

export type TableReplicationConfig = z.output<typeof tableReplicationSection>
export type ReplicationTablesConfig = z.output<typeof replicationTablesSection>
