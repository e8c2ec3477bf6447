import type {} from '@elt/core/testing/global-setup'
import { createTestDatabase, stallingProxy, type TestDatabase } from '@elt/core/testing'
import { describeError, EltError } from '@elt/core'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import {
  acceptedValues,
  buildGraph,
  collectProject,
  compileProject,
  defineModel,
  defineSource,
  defineTest,
  freshness,
  notNull,
  relationships,
  unique,
  type ColumnSpecs,
  type ModelTest,
} from '../src/index.ts'
import {
  compileCustomTest,
  compileRelationTests,
  failRate,
  latestFailureSample,
  runTests,
  testHistory,
  testStats,
  type TestResult,
} from '../src/test/index.ts'

/** Severity, thresholds, samples in _elt_audit, history across runs, errors, freshness from load records. */
let db: TestDatabase
let client: pg.Client

type Order = { id: number; status: string | null; amount: number }
const locate = (r: { name: string; schema?: string }) => ({ schema: r.schema ?? 'shop', name: r.name })
const orders = (columns: ColumnSpecs<Order>, tests: readonly ModelTest<Order>[] = []) => defineSource<Order>({ schema: 'shop', name: 'orders', columns, tests })
const byId = (results: TestResult[]) => Object.fromEntries(results.map((r) => [r.id, r]))

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'data_tests_run')
  // 150 orders: status NULL on every 10th (15 rows), 'lost' on every 7th not already NULL (19 rows)
  await db.query(`
    create schema shop;
    create table shop.orders as
      select g as id, case when g % 10 = 0 then null when g % 7 = 0 then 'lost' else 'paid' end as status, g * 1.5 as amount
      from generate_series(1, 150) g;
  `)
  client = new pg.Client({ connectionString: db.url })
  await client.connect()
})

afterAll(async () => {
  await client?.end()
  await db?.drop()
})

describe('severity and thresholds', () => {
  it('follows dbt: errorIf → fail, else warnIf → warn; warn severity never fails', async () => {
    const run = await runTests(
      client,
      compileRelationTests(
        orders({
          status: {
            tests: [
              notNull({ name: 'nulls_default' }), // 15 → fail
              notNull({ name: 'nulls_warn', severity: 'warn' }), // 15 → warn
              notNull({ name: 'nulls_over_20', errorIf: '> 20', warnIf: '> 10' }), // 15 → warn
              notNull({ name: 'nulls_over_10', errorIf: '> 10' }), // 15 → fail
              notNull({ name: 'nulls_over_50', errorIf: '> 50', warnIf: '> 50' }), // 15 → pass
              acceptedValues(['paid'], { name: 'lost_ok', severity: 'warn', warnIf: '>= 20' }), // 19 → pass
            ],
          },
        }),
        { locate },
      ),
      { record: false },
    )
    const r = byId(run.results)
    expect(Object.fromEntries(run.results.map((x) => [x.id, [x.status, x.failures]]))).toEqual({
      nulls_default: ['fail', 15],
      nulls_warn: ['warn', 15],
      nulls_over_20: ['warn', 15],
      nulls_over_10: ['fail', 15],
      nulls_over_50: ['pass', 15],
      lost_ok: ['pass', 19],
    })
    expect(r['nulls_warn']?.severity).toBe('warn')
    expect(run.status).toBe('fail')
  })

  it('reports only warnings as status warn', async () => {
    const run = await runTests(client, compileRelationTests(orders({ status: { tests: [notNull({ severity: 'warn' })] } }), { locate }), { record: false })
    expect(run.status).toBe('warn')
  })

  it('rejects bad thresholds and declarations before anything runs', () => {
    expect(() => compileRelationTests(orders({ status: { tests: [notNull({ errorIf: 'more than 3' as never })] } }), { locate })).toThrowError(
      /Test source_not_null_shop_orders_status has an invalid threshold "more than 3"/,
    )
    expect(() => compileRelationTests(orders({ status: { tests: [acceptedValues([])] } }), { locate })).toThrowError(/accepts no values/)
    expect(() => compileRelationTests(orders({ status: { tests: ['not_nul' as never] } }), { locate })).toThrowError(
      /column status, declares an unknown test "not_nul"/,
    )
    expect(() => compileRelationTests(orders({}, [freshness({ column: 'id' })]), { locate })).toThrowError(/sets neither warnAfter nor errorAfter/)
    // e.g. a model imported before it was defined (a circular import) is undefined at declaration time
    expect(() => compileRelationTests(orders({ id: { tests: [relationships(undefined as never, 'id')] } }), { locate })).toThrowError(
      /Test source_relationships_shop_orders_id__id__undefined does not point at a model or source column/,
    )
  })
})

describe('errors', () => {
  it('gives status error to a test that cannot run and still runs the others of the same scan', async () => {
    const run = await runTests(
      client,
      compileRelationTests(orders({ status: { tests: ['not_null'] }, ['missing_column' as 'id']: { tests: ['not_null', 'unique'] } }), { locate }),
      { record: false },
    )
    const r = byId(run.results)
    expect(r['source_not_null_shop_orders_status']).toMatchObject({ status: 'fail', failures: 15 })
    expect(r['source_not_null_shop_orders_missing_column']).toMatchObject({ status: 'error', failures: null })
    expect(r['source_not_null_shop_orders_missing_column']?.message).toMatch(/column t\.missing_column does not exist/)
    expect(r['source_unique_shop_orders_missing_column']?.status).toBe('error')
  })
})

describe('custom tests', () => {
  const shop = defineSource<Order>({ schema: 'shop', name: 'orders' })
  const errorOf = (compile: () => unknown) => {
    try {
      compile()
    } catch (error) {
      return error
    }
    throw new Error('compiled')
  }

  it('a run whose connection stops passing data fails saying so instead of waiting forever, recording nothing', async () => {
    const slow = compileCustomTest(
      defineTest({ name: 'slow_orders', from: { o: shop }, query: (q) => q.selectFrom('o').select('id').where(sql<boolean>`(select pg_sleep(1)) is not null`).where('id', '<', 0) }),
      { locate },
    )
    const proxy = await stallingProxy(db.url)
    const stalling = new pg.Client({ connectionString: proxy.url(db.url) })
    stalling.on('error', () => {})
    await stalling.connect()
    try {
      const before = await db.query<{ n: number }>(`select count(*)::int as n from _elt.test_results where test_id = 'slow_orders'`).catch(() => [{ n: 0 }])
      setTimeout(() => proxy.cut(), 300) // during the test's query: its answer never arrives
      const error = await runTests(stalling, [slow], { destination: { label: 'destination', url: proxy.url(db.url) }, stallSeconds: 2 }).catch((e: unknown) => e)
      expect(describeError(error)).toMatch(/^Nothing moved for \d+ s while running the data tests: the destination's session \(pid \d+\) has waited \d+ s for this process's next statement\. Its connection was closed and no result of this run was recorded\./)
      expect(await db.query<{ n: number }>(`select count(*)::int as n from _elt.test_results where test_id = 'slow_orders'`).catch(() => [{ n: 0 }])).toEqual(before)
    } finally {
      proxy.destroy() // first: a plain client's end() would wait on the stalled proxy
      await stalling.end().catch(() => {})
    }
  }, 30_000)

  it('compile like models: values inlined, and a value with no literal is the same clear error', async () => {
    const lost = defineTest({ name: 'lost_big_orders', from: { o: shop }, query: (q) => q.selectFrom('o').select('id').where('status', 'in', ['lost']).where('amount', '>', 100) })
    const compiled = compileCustomTest(lost, { locate })
    expect(compiled.sql).toBe(`select "id" from "shop"."orders" as "o" where "status" in ('lost') and "amount" > 100`)
    const run = await runTests(client, [compiled], { record: false })
    // 'lost' on g % 7 = 0 and not g % 10 = 0, amount g * 1.5 > 100: g in 70..150 → 77, 84, 91, 98, 105, 112, 119, 126, 133, 147
    expect(byId(run.results)['lost_big_orders']).toMatchObject({ status: 'fail', failures: 10 })

    // An array inside sql`…` has no inline literal: one error naming the query's owner, for models and custom tests alike
    // (a custom test used to surface Kysely's bare `invalid immediate value lost`).
    const anyOf = (q: any) => q.selectFrom('o').select('id').where(sql<boolean>`status = any(${['lost']})`)
    const model = defineModel({ name: 'lost_orders', from: { o: shop }, query: anyOf })
    const project = collectProject({ model })
    const modelError = errorOf(() => compileProject(project, buildGraph(project), { name: 'prod', schema: 'analytics' }))
    const testError = errorOf(() => compileCustomTest(defineTest({ name: 'lost_orders_test', from: { o: shop }, query: anyOf }), { locate }))
    expect(testError).toBeInstanceOf(EltError)
    expect(describeError(modelError)).toContain("Model lost_orders's query has a value that cannot be written into its SQL as a literal")
    expect(describeError(testError).replace('Custom test lost_orders_test', 'Model lost_orders')).toBe(describeError(modelError))
  })
})

describe('history and samples', () => {
  it('keeps every result per run, a capped sample of the latest failing rows, and fail rates', async () => {
    const tests = () =>
      compileRelationTests(
        orders({
          status: { tests: [notNull({ sampleSize: 5 }), acceptedValues(['paid'], { severity: 'warn' })] }, // 'lost' warns
          id: { tests: [unique(), notNull({ storeFailures: false, where: (eb) => eb('amount', '>', 0) })] },
        }),
        { locate },
      )
    const first = await runTests(client, tests())
    const sample = await latestFailureSample(client, 'source_not_null_shop_orders_status')
    expect(sample.runId).toBe(first.runId)
    expect(sample.rows).toHaveLength(5) // capped at the test's sampleSize
    expect(sample.rows.every((row) => row.status === null && Number(row.id) % 10 === 0)).toBe(true)
    expect(byId(first.results)['source_not_null_shop_orders_status']?.sampled).toBe(5)

    // fix the data: the second run passes, and the stale sample is dropped
    await db.query(`update shop.orders set status = 'paid' where status is null`)
    const second = await runTests(client, tests())
    expect(byId(second.results)['source_not_null_shop_orders_status']).toMatchObject({ status: 'pass', failures: 0 })
    expect((await latestFailureSample(client, 'source_not_null_shop_orders_status')).rows).toEqual([])

    const history = await testHistory(client, { testId: 'source_not_null_shop_orders_status' })
    expect(history.map((h) => [h.runId, h.status, h.failures])).toEqual([
      [second.runId, 'pass', 0],
      [first.runId, 'fail', 15],
    ])
    expect(history[1]?.sql).toBe('select "t".* from "shop"."orders" as "t" where "t"."status" is null')
    expect(await db.query(history[1]!.sql)).toHaveLength(0) // fixed since

    const stats = Object.fromEntries((await testStats(client)).map((s) => [s.testId, s]))
    expect(stats['source_not_null_shop_orders_status']).toMatchObject({ runs: 2, passed: 1, failed: 1, failRate: 0.5, lastStatus: 'pass', lastFailures: 0 })
    expect(stats['source_unique_shop_orders_id']).toMatchObject({ runs: 2, passed: 2, failRate: 0 })
    // a warning found failing rows too: it counts in the fail rate (as `failingOnly` selects it)
    expect(stats['source_accepted_values_shop_orders_status']).toMatchObject({ runs: 2, warned: 2, failRate: 1, lastStatus: 'warn', lastFailures: 19 })
    const warnings = await testHistory(client, { testId: 'source_accepted_values_shop_orders_status' })
    expect(failRate(warnings)).toBe(1)
    expect(failRate([...history, ...warnings])).toBe(0.75)

    const rows = await db.query(`select count(*)::int as n, count(distinct run_id)::int as runs from _elt.test_results`)
    expect(rows[0]).toEqual({ n: 8, runs: 2 })

    // every test's latest result; the latest failing one of a test; a sample limit
    const latest = await testHistory(client, { perTest: 1 })
    expect(latest.map((h) => [h.testId, h.runId]).sort()).toEqual(
      ['source_accepted_values_shop_orders_status', 'source_not_null_shop_orders_id', 'source_not_null_shop_orders_status', 'source_unique_shop_orders_id'].map((id) => [id, second.runId]),
    )
    expect((await testHistory(client, { perTest: 2 })).filter((h) => h.testId === 'source_unique_shop_orders_id').map((h) => h.runId)).toEqual([second.runId, first.runId])
    const [lastFailure] = await testHistory(client, { testId: 'source_not_null_shop_orders_status', failingOnly: true, limit: 1 })
    expect(lastFailure).toMatchObject({ runId: first.runId, status: 'fail', failures: 15 })
    await runTests(client, compileRelationTests(orders({ amount: { tests: [acceptedValues([1.5, 3], { name: 'few_amounts' })] } }), { locate }))
    expect((await latestFailureSample(client, 'few_amounts')).rows).toHaveLength(100) // the default sample size
    expect((await latestFailureSample(client, 'few_amounts', { limit: 7 })).rows).toHaveLength(7)
  })

  it('reads nothing, and creates nothing, where no test has run (read-only sessions work)', async () => {
    const fresh = await createTestDatabase(inject('pgAdminUrl'), 'data_tests_fresh')
    const reader = new pg.Client({ connectionString: fresh.url, options: '-c default_transaction_read_only=on' })
    await reader.connect()
    try {
      expect(await testHistory(reader, { perTest: 1 })).toEqual([])
      expect(await testStats(reader)).toEqual([])
      expect(await latestFailureSample(reader, 'any')).toEqual({ runId: null, rows: [] })
      expect(await fresh.query(`select nspname from pg_namespace where nspname in ('_elt', '_elt_audit')`)).toEqual([])
    } finally {
      await reader.end()
      await fresh.drop()
    }
  })

  it('stores nothing for tests with storeFailures: false', async () => {
    await db.query(`create table shop.secrets as select g as id, case when g < 4 then null else 'x' end as token from generate_series(1, 10) g`)
    const secrets = defineSource<{ id: number; token: string | null }>({
      schema: 'shop',
      name: 'secrets',
      columns: { token: { tests: [notNull({ storeFailures: false })] } },
    })
    const run = await runTests(client, compileRelationTests(secrets, { locate }))
    expect(run.results[0]).toMatchObject({ status: 'fail', failures: 3, sampled: 0 })
    expect((await latestFailureSample(client, 'source_not_null_shop_secrets_token')).rows).toEqual([])
  })
})

describe('freshness of a raw table from its load records', () => {
  it('uses the last successful load in _elt.table_loads', async () => {
    // the shape extract-load writes (packages/extract-load/src/state/load-state.ts)
    await db.query(`
      create table if not exists _elt.table_loads (run_id uuid not null, source_table text not null, target_table text not null,
        status text not null, finished_at timestamptz, primary key (run_id, source_table));
      insert into _elt.table_loads values
        (gen_random_uuid(), 'public.orders', 'shop.orders', 'done', now() - interval '5 hours'),
        (gen_random_uuid(), 'public.orders', 'shop.orders', 'error', now() - interval '1 minute'),
        (gen_random_uuid(), 'public.other', 'shop.other', 'done', now());
    `)
    const run = await runTests(
      client,
      compileRelationTests(
        orders({}, [freshness({ warnAfter: '1h', errorAfter: '1d' }), freshness({ errorAfter: '2h' }, { name: 'orders_loaded_2h' })]),
        { locate },
      ),
      { record: false },
    )
    const r = byId(run.results)
    expect(r['source_freshness_shop_orders']).toMatchObject({ status: 'warn', failures: 1, message: 'last load 5.0 h ago (warn after 1h)' })
    expect(r['orders_loaded_2h']).toMatchObject({ status: 'fail', failures: 1 })
    expect(r['orders_loaded_2h']?.sql).toContain(`from "_elt"."table_loads" where "target_table" = 'shop.orders' and "status" = 'done'`)
  })
})
