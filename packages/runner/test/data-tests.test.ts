import type {} from '@elt/core/testing/global-setup'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import {
  acceptedRange,
  acceptedValues,
  expression,
  freshness,
  notNull,
  relationships,
  rowCount,
  unique,
  uniqueCombination,
  type ColumnSpecs,
  type ModelTest,
} from '../src/index.ts'
import { defineSource } from '../src/define/define-source.ts'
import { compileRelationTests, planTests, runTests, toInlineSql, type TestResult } from '../src/test/index.ts'

/**
 * Each kind on data built to fail it with a known count, and on data that passes.
 * `items` (12 rows): ids 1..8 with id 3 three times and id 5 twice → 2 duplicated values,
 * plus two NULL ids; codes with 2 NULLs; ratings with 3 values outside ('G','PG') and 2 NULLs;
 * scores 0 and 6 outside [1, 5] (1 and 5 on the edges), 1 NULL; parent_id 7 and 9 orphan
 * (3 rows: 7, 7, 9) and 2 NULLs.
 */
let db: TestDatabase
let client: pg.Client

type Item = { id: number | null; code: string | null; rating: string | null; score: number | null; parent_id: number | null; created_at: Date }
type Parent = { id: number; name: string }

const parents = defineSource<Parent>({ schema: 'app', name: 'parents', columns: { id: { tests: ['not_null', 'unique'] } } })
const located = (r: { kind: string; name: string; schema?: string }) => ({ schema: r.schema ?? 'app', name: r.name })

function items(columns: ColumnSpecs<Item>, tests: readonly ModelTest<Item>[] = []) {
  return defineSource<Item>({ schema: 'app', name: 'items', columns, tests })
}

async function run(relation: ReturnType<typeof items>): Promise<Record<string, TestResult>> {
  const { results } = await runTests(client, compileRelationTests(relation, { locate: located }), { record: false })
  return Object.fromEntries(results.map((r) => [r.id, r]))
}

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'data_tests')
  await db.query(`
    create schema app;
    create table app.parents (id int, name text);
    insert into app.parents select i, 'p' || i from generate_series(1, 5) i;
    create table app.items (id int, code text, rating text, score numeric(3,1), parent_id int, created_at timestamptz not null);
    insert into app.items values
      (1, 'a', 'G', 1, 1, now() - interval '3 days'),
      (2, 'b', 'PG', 5, 2, now() - interval '3 days'),
      (3, 'c', 'R', 0, 3, now() - interval '3 days'),
      (3, null, 'NC-17', 6, 7, now() - interval '3 days'),
      (3, 'e', null, 2.5, 7, now() - interval '3 days'),
      (4, 'f', 'G', null, 9, now() - interval '3 days'),
      (5, null, 'X', 3, null, now() - interval '3 days'),
      (5, 'h', 'PG', 4, 4, now() - interval '3 days'),
      (6, 'i', null, 4.5, null, now() - interval '3 days'),
      (7, 'j', 'G', 2, 5, now() - interval '3 days'),
      (null, 'k', 'G', 2, 1, now() - interval '3 days'),
      (null, 'l', 'PG', 3, 2, now() - interval '2 hours');
  `)
  client = new pg.Client({ connectionString: db.url })
  await client.connect()
})

afterAll(async () => {
  await client?.end()
  await db?.drop()
})

describe('column tests on failing data', () => {
  it('counts each kind with dbt semantics', async () => {
    const r = await run(
      items({
        id: { tests: ['not_null', 'unique'] },
        code: { tests: [notNull(), unique()] },
        rating: { tests: [acceptedValues(['G', 'PG'])] },
        score: { tests: [acceptedRange({ min: 1, max: 5 }), expression((eb) => eb('score', '<', 4.5), { label: 'below 4.5' })] },
        parent_id: { tests: [relationships(parents, 'id')] },
      }),
    )
    // not_null counts null rows
    expect(r['source_not_null_app_items_id']).toMatchObject({ status: 'fail', failures: 2, column: 'id', model: 'app.items', type: 'not_null' })
    expect(r['source_not_null_app_items_code']).toMatchObject({ status: 'fail', failures: 2 })
    // unique counts duplicated non-null values, once each (3 and 5), and ignores the two NULL ids
    expect(r['source_unique_app_items_id']).toMatchObject({ status: 'fail', failures: 2 })
    expect(r['source_unique_app_items_code']).toMatchObject({ status: 'pass', failures: 0 })
    // accepted_values: R, NC-17, X outside the list; the 2 NULL ratings are not failures
    expect(r['source_accepted_values_app_items_rating']).toMatchObject({ status: 'fail', failures: 3 })
    // accepted_range inclusive: 0 and 6 outside, 1 and 5 accepted, NULL ignored
    expect(r['source_accepted_range_app_items_score']).toMatchObject({ status: 'fail', failures: 2 })
    // expression: rows where the condition is false (4.5, 5, 6; the NULL score is not a failure, as in dbt)
    expect(r['source_expression_app_items_score_below_4_5']).toMatchObject({ status: 'fail', failures: 3 })
    // relationships: child rows whose non-null value has no parent (7, 7, 9); NULLs are not orphans
    expect(r['source_relationships_app_items_parent_id__id__app_parents']).toMatchObject({ status: 'fail', failures: 3 })
  })

  it('shows SQL that selects exactly the failing rows', async () => {
    const r = await run(items({ rating: { tests: [acceptedValues(['G', "P'G"])] }, parent_id: { tests: [relationships(parents, 'id')] } }))
    const values = r['source_accepted_values_app_items_rating'] as TestResult
    expect(values.sql).toBe(
      `select "t".* from "app"."items" as "t" where ("t"."rating" is not null and not "t"."rating" in ('G', 'P''G'))`,
    )
    expect(await db.query(values.sql)).toHaveLength(values.failures as number)
    const orphans = r['source_relationships_app_items_parent_id__id__app_parents'] as TestResult
    expect((await db.query(orphans.sql)).map((row) => row.parent_id).sort()).toEqual([7, 7, 9])
  })

  it('exclusive ranges reject the bounds', async () => {
    const r = await run(items({ score: { tests: [acceptedRange({ min: 1, max: 5, inclusive: false })] } }))
    expect(r['source_accepted_range_app_items_score']?.failures).toBe(4)
  })

  it('applies a where filter to every kind', async () => {
    const since = (eb: any) => eb('created_at', '>', new Date(Date.now() - 86_400_000))
    const r = await run(
      items({
        id: { tests: [notNull({ where: since }), unique({ where: (eb) => eb('rating', '=', 'PG') })] },
        rating: { tests: [acceptedValues(['G'], { where: (eb) => eb('score', '>=', 3) })] },
      }),
    )
    expect(r['source_not_null_app_items_id']?.failures).toBe(1) // only the recent NULL id
    expect(r['source_unique_app_items_id']?.failures).toBe(0) // PG rows: ids 2, 5, null
    expect(r['source_accepted_values_app_items_rating']?.failures).toBe(5) // PG (5), NC-17 (6), X (3), PG (4), PG (3)
  })
})

describe('shared scans', () => {
  it('runs all scan tests of a relation in one query, probing small parents as hashed subplans and big ones by a join', async () => {
    await db.query(`create table app.big_parents as select g as id from generate_series(1, 50000) g; analyze app.big_parents`)
    const bigParents = defineSource<Parent>({ schema: 'app', name: 'big_parents' })
    const tests = compileRelationTests(
      items({ id: { tests: ['not_null', 'unique'] }, parent_id: { tests: ['not_null', relationships(parents, 'id'), relationships(bigParents, 'id', { name: 'big' })] } }),
      { locate: located },
    )
    const batches = await planTests(client, tests)
    expect(batches.map((b) => [b.kind, b.tests.map((t) => t.type)])).toEqual([
      ['scan', ['not_null', 'not_null', 'relationships', 'relationships']],
      ['unique', ['unique']],
    ])
    expect(toInlineSql(batches[0]!.query)).toContain('not "t"."parent_id" in (select "p"."id" from "app"."parents" as "p" where "p"."id" is not null)')
    const small = await runTests(client, tests, { record: false })

    await client.query(`set work_mem = '64kB'`) // 50,000 parent keys no longer fit: hash join instead
    try {
      const [scan] = await planTests(client, tests)
      expect(toInlineSql(scan!.query)).toContain('left join (select distinct "p"."id" as "k" from "app"."big_parents" as "p" where "p"."id" is not null) as "r3" on "r3"."k" = "t"."parent_id"')
      const joined = await runTests(client, tests, { record: false })
      expect(joined.results.map((r) => [r.id, r.failures])).toEqual(small.results.map((r) => [r.id, r.failures]))
      expect(Object.fromEntries(joined.results.map((r) => [r.id, r.failures]))).toMatchObject({ big: 0, source_relationships_app_items_parent_id__id__app_parents: 3 })
    } finally {
      await client.query('reset work_mem')
    }
  })
})

describe('model tests', () => {
  it('counts duplicated combinations, row count bounds and staleness', async () => {
    const r = await run(
      items({}, [
        uniqueCombination(['id', 'rating']),
        rowCount({ min: 1, max: 10 }),
        freshness({ column: 'created_at', warnAfter: '1h', errorAfter: '1d' }),
        freshness({ column: 'created_at', warnAfter: '1d', errorAfter: '2d' }, { where: (eb) => eb('id', 'is', null), name: 'fresh_null_ids' }),
      ]),
    )
    expect(r['source_unique_combination_app_items_id__rating']).toMatchObject({ failures: 0, status: 'pass' })
    expect(r['source_row_count_app_items']).toMatchObject({ failures: 1, status: 'fail', message: '12 rows (expected ≥ 1 and ≤ 10)' })
    // newest row is 2 hours old: past warnAfter 1h, before errorAfter 1d
    expect(r['source_freshness_app_items_created_at']).toMatchObject({ status: 'warn', failures: 1 })
    expect(r['source_freshness_app_items_created_at']?.message).toMatch(/^last created_at 2\.0 h ago \(warn after 1h\)$/)
    expect(r['fresh_null_ids']).toMatchObject({ status: 'pass', failures: 0 })
  })

  it('fails freshness past errorAfter and combinations that repeat', async () => {
    const r = await run(items({}, [uniqueCombination(['id', 'code']), uniqueCombination(['id']), freshness({ column: 'created_at', errorAfter: '30m' })]))
    expect(r['source_unique_combination_app_items_id__code']?.failures).toBe(0)
    expect(r['source_unique_combination_app_items_id']?.failures).toBe(3) // 3, 5 and the NULL group, as dbt_utils counts it
    expect(r['source_freshness_app_items_created_at']).toMatchObject({ status: 'fail', failures: 1 })
  })
})

describe('freshness of a date column', () => {
  it('measures the age from midnight of the latest date', async () => {
    await db.query(`create table app.days as select (current_date - 3) as day`)
    const days = defineSource<{ day: Date }>({ schema: 'app', name: 'days', tests: [freshness({ column: 'day', warnAfter: '1d', errorAfter: '5d' })] })
    const { results } = await runTests(client, compileRelationTests(days, { locate: located }), { record: false })
    expect(results[0]).toMatchObject({ id: 'source_freshness_app_days_day', status: 'warn', failures: 1 })
    expect(results[0]?.message).toMatch(/^last day [34]\.\d d ago \(warn after 1d\)$/)
  })
})

describe('passing data', () => {
  it('passes every kind on clean rows', async () => {
    const r = await run(
      defineSource<Parent>({
        schema: 'app',
        name: 'parents',
        columns: {
          id: { tests: ['not_null', 'unique', acceptedRange({ min: 1, max: 5 }), relationships(parents, 'id'), acceptedValues([1, 2, 3, 4, 5])] },
          name: { tests: [expression((eb) => eb('name', 'like', 'p%'))] },
        },
        tests: [uniqueCombination(['id', 'name']), rowCount({ min: 5, max: 5 })],
      }) as never,
    )
    expect(Object.values(r).map((x) => [x.id, x.status, x.failures])).toEqual(Object.values(r).map((x) => [x.id, 'pass', 0]))
    expect(Object.keys(r)).toHaveLength(8)
  })
})
