import { sql, type Compilable } from 'kysely'
import type pg from 'pg'
import { testSqlBuilder as db, toStatement } from './sql-builder.ts'
import { auditSchema } from './test-results-store.ts'
import type { TestStatus } from './threshold.ts'

/** One stored result of one test in one run (a row of `_elt.test_results`). */
export interface TestHistoryEntry {
  runId: string
  testId: string
  type: string
  nodeId: string
  model: string
  column: string | null
  severity: 'error' | 'warn'
  status: TestStatus
  failures: number | null
  seconds: number
  sql: string
  message: string | null
  tags: string[]
  runAt: Date
}

/** Pass/fail statistics of one test over its stored runs. */
export interface TestStats {
  testId: string
  type: string
  nodeId: string
  model: string
  column: string | null
  runs: number
  passed: number
  warned: number
  failed: number
  errored: number
  /** (failed + errored) / runs. */
  failRate: number
  lastStatus: TestStatus
  lastFailures: number | null
  lastRunAt: Date
}

const columns = [
  'run_id as runId',
  'test_id as testId',
  'test_type as type',
  'node_id as nodeId',
  'model',
  'column_name as column',
  'severity',
  'status',
  sql<number | null>`failures::float8`.as('failures'),
  'seconds',
  'sql',
  'message',
  'tags',
  'run_at as runAt',
] as const

/**
 * Runs a read of `table`; no rows when the table does not exist yet (nothing was tested). The read
 * API never creates or migrates anything, so it works on read-only sessions (the dashboard's).
 */
async function rowsOf<R>(client: pg.ClientBase, table: string, query: Compilable): Promise<R[]> {
  const { rows } = await client.query<{ ok: boolean }>('select to_regclass($1) is not null as ok', [table])
  if (!rows[0]?.ok) return []
  const statement = toStatement(query)
  return (await client.query(statement.text, statement.values)).rows as R[]
}

export interface TestHistoryFilter {
  testId?: string
  nodeId?: string
  runId?: string
  /** Only results that did not pass (warn, fail, error). */
  failingOnly?: boolean
  /** The newest `perTest` results of each test (e.g. 1: every test's latest result). */
  perTest?: number
  /** At most this many rows in all (default 100 without `perTest`, no limit with it). */
  limit?: number
}

/**
 * Tests' results across runs, newest first, filtered by test, node, run or status.
 *
 * ```sql
 * select "run_id" as "runId", … from "_elt"."test_results" where "test_id" = $1 order by "run_at" desc, "test_id" limit $2
 * -- perTest: select … from (select *, row_number() over (partition by "test_id" order by "run_at" desc) as "n" from "_elt"."test_results") as "r" where "n" <= $1 …
 * ```
 */
export async function testHistory(client: pg.ClientBase, filter: TestHistoryFilter = {}): Promise<TestHistoryEntry[]> {
  const results =
    filter.perTest === undefined
      ? db.selectFrom('_elt.test_results as r')
      : db
          .selectFrom(
            db
              .selectFrom('_elt.test_results')
              .selectAll()
              .select(sql<number>`row_number() over (partition by ${sql.ref('test_id')} order by ${sql.ref('run_at')} desc)`.as('n'))
              .as('r'),
          )
          .where('n', '<=', filter.perTest)
  let query = results.select(columns as never).orderBy('run_at', 'desc').orderBy('test_id')
  const limit = filter.limit ?? (filter.perTest === undefined ? 100 : undefined)
  if (limit !== undefined) query = query.limit(limit)
  if (filter.testId !== undefined) query = query.where('test_id', '=', filter.testId)
  if (filter.nodeId !== undefined) query = query.where('node_id', '=', filter.nodeId)
  if (filter.runId !== undefined) query = query.where('run_id', '=', filter.runId)
  if (filter.failingOnly) query = query.where('status', '<>', 'pass')
  return rowsOf<TestHistoryEntry>(client, '_elt.test_results', query)
}

/**
 * The latest result of every test, with its pass/warn/fail counts and fail rate over the last
 * `runs` results of that test (default 30).
 *
 * ```sql
 * with recent as (select *, row_number() over (partition by "test_id" order by "run_at" desc) as "n" from "_elt"."test_results")
 * select "test_id", count(*) as "runs", count(*) filter (where "status" = 'fail') as "failed", … from recent where "n" <= $1 group by …
 * ```
 */
export async function testStats(client: pg.ClientBase, options: { runs?: number } = {}): Promise<TestStats[]> {
  const recent = db
    .selectFrom('_elt.test_results')
    .selectAll()
    .select(sql<number>`row_number() over (partition by ${sql.ref('test_id')} order by ${sql.ref('run_at')} desc)`.as('n'))
  const count = (status: TestStatus) => sql<number>`(count(*) filter (where ${sql.ref('status')} = ${status}))::int`
  const latest = (column: string) => sql`(array_agg(${sql.ref(column)} order by ${sql.ref('run_at')} desc))[1]`
  const query = db
    .selectFrom(recent.as('recent'))
    .where('n', '<=', options.runs ?? 30)
    .groupBy('test_id')
    .orderBy('test_id')
    .select([
      'test_id as testId',
      latest('test_type').as('type'),
      latest('node_id').as('nodeId'),
      latest('model').as('model'),
      latest('column_name').as('column'),
      sql<number>`count(*)::int`.as('runs'),
      count('pass').as('passed'),
      count('warn').as('warned'),
      count('fail').as('failed'),
      count('error').as('errored'),
      sql<number>`(count(*) filter (where ${sql.ref('status')} in ('fail', 'error')))::float8 / count(*)`.as('failRate'),
      latest('status').as('lastStatus'),
      sql<number | null>`${latest('failures')}::float8`.as('lastFailures'),
      sql<Date>`max(${sql.ref('run_at')})`.as('lastRunAt'),
    ])
  return rowsOf<TestStats>(client, '_elt.test_results', query)
}

/**
 * The latest stored sample of a test's failing rows (empty when the test passed last time,
 * stored no sample, or never ran).
 *
 * ```sql
 * select "run_id", "row" from "_elt_audit"."test_failures" where "test_id" = $1 order by "ordinal"
 * ```
 */
export async function latestFailureSample(
  client: pg.ClientBase,
  testId: string,
  options: { limit?: number } = {},
): Promise<{ runId: string | null; rows: Record<string, unknown>[] }> {
  const table = `${auditSchema}.test_failures`
  let query = db.selectFrom(table).select(['run_id', 'row']).where('test_id', '=', testId).orderBy('ordinal')
  if (options.limit !== undefined) query = query.limit(options.limit)
  const rows = await rowsOf<{ run_id: string; row: Record<string, unknown> }>(client, table, query)
  return { runId: rows[0]?.run_id ?? null, rows: rows.map((r) => r.row) }
}
