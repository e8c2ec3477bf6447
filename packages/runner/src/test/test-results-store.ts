import { migrate } from '@elt/core'
import { sql } from 'kysely'
import type pg from 'pg'
import type { CompiledTest } from './compiled-test.ts'
import { testSqlBuilder as db, toStatement } from './sql-builder.ts'
import type { TestStatus } from './threshold.ts'

/** Schema of the failing-row samples. */
export const auditSchema = '_elt_audit'

/**
 * `_elt.test_results`: one row per test per run, kept as history.
 * `_elt_audit.test_failures`: the latest capped sample of each test's failing rows, as jsonb.
 * Append-only: never edit an entry, add a new one.
 */
export const testResultMigrations: readonly string[] = [
  `create table _elt.test_results (
    run_id uuid not null,
    test_id text not null,
    test_type text not null,
    node_id text not null,
    model text not null,
    column_name text,
    severity text not null check (severity in ('error', 'warn')),
    status text not null check (status in ('pass', 'warn', 'fail', 'error')),
    failures bigint,
    seconds double precision not null,
    sql text not null,
    message text,
    tags text[] not null default '{}',
    run_at timestamptz not null default clock_timestamp(),
    primary key (run_id, test_id)
  )`,
  `create index test_results_by_test on _elt.test_results (test_id, run_at desc)`,
  `create schema if not exists ${auditSchema}`,
  `create table ${auditSchema}.test_failures (
    test_id text not null,
    run_id uuid not null,
    ordinal int not null,
    "row" jsonb not null,
    stored_at timestamptz not null default clock_timestamp(),
    primary key (test_id, ordinal)
  )`,
]

/** Creates or upgrades the tables of data test results (idempotent). */
export async function migrateTestResults(client: pg.ClientBase): Promise<void> {
  await migrate(client, 'runner-tests', testResultMigrations)
}

/** One test's outcome in one run. */
export interface TestResult {
  id: string
  type: CompiledTest['type']
  nodeId: string
  model: string
  column: string | null
  severity: CompiledTest['severity']
  status: TestStatus
  /** Null when the test errored. */
  failures: number | null
  seconds: number
  /** Select of all failing rows (values inlined), to paste into psql. */
  sql: string
  message: string | null
  tags: readonly string[]
  /** Failing rows stored in `_elt_audit.test_failures` by this run. */
  sampled: number
}

/**
 * Appends results to `_elt.test_results` in one statement.
 *
 * ```sql
 * insert into "_elt"."test_results" ("run_id", "test_id", …) values ($1, $2, …), ($14, $15, …)
 * ```
 */
export async function recordTestResults(client: pg.ClientBase, runId: string, results: readonly TestResult[]): Promise<void> {
  if (results.length === 0) return
  const rows = results.map((r) => ({
    run_id: runId,
    test_id: r.id,
    test_type: r.type,
    node_id: r.nodeId,
    model: r.model,
    column_name: r.column,
    severity: r.severity,
    status: r.status,
    failures: r.failures,
    seconds: r.seconds,
    sql: r.sql,
    message: r.message,
    tags: [...r.tags],
  }))
  const statement = toStatement(db.insertInto('_elt.test_results').values(rows))
  await client.query(statement.text, statement.values)
}

/**
 * Replaces the stored sample of a test's failing rows with at most `limit` rows of this run.
 * Returns how many rows were stored.
 *
 * ```sql
 * delete from "_elt_audit"."test_failures" where "test_id" = $1;
 * insert into "_elt_audit"."test_failures" ("test_id", "run_id", "ordinal", "row")
 *   select $2, $3, row_number() over (), to_jsonb("f") from (select "t".* from … where "t"."film_id" is null limit $4) as "f"
 * ```
 */
export async function storeFailureSample(client: pg.ClientBase, runId: string, test: CompiledTest): Promise<number> {
  const remove = toStatement(db.deleteFrom(`${auditSchema}.test_failures`).where('test_id', '=', test.id))
  await client.query(remove.text, remove.values)
  if (!test.failingRows || test.sampleSize === 0) return 0
  const sample = db
    .selectFrom(test.failingRows.limit(test.sampleSize).as('f'))
    .select([
      sql`${test.id}::text`.as('test_id'),
      sql`${runId}::uuid`.as('run_id'),
      sql`row_number() over ()`.as('ordinal'),
      sql`to_jsonb(${sql.ref('f')})`.as('row'),
    ])
  const insert = toStatement(db.insertInto(`${auditSchema}.test_failures`).columns(['test_id', 'run_id', 'ordinal', 'row']).expression(sample))
  const result = await client.query(insert.text, insert.values)
  return result.rowCount ?? 0
}

/** Drops the stored samples of tests that passed in this run (a stale sample would mislead). */
export async function clearFailureSamples(client: pg.ClientBase, testIds: readonly string[]): Promise<void> {
  if (testIds.length === 0) return
  const statement = toStatement(db.deleteFrom(`${auditSchema}.test_failures`).where('test_id', '=', sql<string>`any(${[...testIds]}::text[])`))
  await client.query(statement.text, statement.values)
}
