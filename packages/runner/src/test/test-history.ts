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
  /** Share of its runs that did not pass: {@link failRate}. */
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
 * The share of `results` that did not pass (`warn`, `fail` or `error`: the test found failing rows
 * or could not run, as `failingOnly` selects them), 0 for none. The one definition of a fail rate:
 * {@link testStats} and the dashboard both use it.
 *
 * ```ts
 * failRate([{ status: 'fail' }, { status: 'warn' }, { status: 'pass' }, { status: 'pass' }]) // 0.5
 * ```
 */
export function failRate(results: readonly { status: TestStatus }[]): number {
  return results.length === 0 ? 0 : results.filter((r) => r.status !== 'pass').length / results.length
}

/**
 * The latest result of every test, with its pass/warn/fail counts and {@link failRate} over the
 * last `runs` results of that test (default 30), by test id. Reads {@link testHistory}'s `perTest`:
 *
 * ```sql
 * select … from (select *, row_number() over (partition by "test_id" order by "run_at" desc) as "n" from "_elt"."test_results") as "r"
 * where "n" <= $1 order by "run_at" desc, "test_id"
 * ```
 */
export async function testStats(client: pg.ClientBase, options: { runs?: number } = {}): Promise<TestStats[]> {
  const byTest = new Map<string, TestHistoryEntry[]>()
  for (const entry of await testHistory(client, { perTest: options.runs ?? 30 })) {
    const list = byTest.get(entry.testId)
    if (list) list.push(entry)
    else byTest.set(entry.testId, [entry])
  }
  return [...byTest.values()].map(statsOf).sort((a, b) => (a.testId < b.testId ? -1 : a.testId > b.testId ? 1 : 0))
}

/** Statistics of one test from its results, newest first. */
function statsOf(history: readonly TestHistoryEntry[]): TestStats {
  const [last] = history as [TestHistoryEntry, ...TestHistoryEntry[]]
  const count = (status: TestStatus) => history.filter((r) => r.status === status).length
  return {
    testId: last.testId,
    type: last.type,
    nodeId: last.nodeId,
    model: last.model,
    column: last.column,
    runs: history.length,
    passed: count('pass'),
    warned: count('warn'),
    failed: count('fail'),
    errored: count('error'),
    failRate: failRate(history),
    lastStatus: last.status,
    lastFailures: last.failures,
    lastRunAt: last.runAt,
  }
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
