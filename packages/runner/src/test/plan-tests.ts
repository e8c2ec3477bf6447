import { sql, type SelectQueryBuilder } from 'kysely'
import type pg from 'pg'
import type { CompiledTest, TableLocation, TestMeasure } from './compiled-test.ts'
import { tableOf, testSqlBuilder as db } from './sql-builder.ts'

/**
 * One query of a test run:
 * - `scan`: every scan test of one relation, one `count(*) filter (where …)` each, in ONE pass over it;
 * - `unique`: every `unique` test of one relation in one pass (`group by grouping sets`);
 * - `single`: one test, one query (custom tests, `unique_combination`, freshness from load records,
 *   relationships whose parent is too big to hash in memory, and everything in `oneQueryPerTest` mode).
 */
export type TestBatch =
  | { kind: 'scan' | 'unique'; relation: TableLocation; tests: CompiledTest[]; query: SelectQueryBuilder<any, any, any> }
  | { kind: 'single'; tests: [CompiledTest]; query: SelectQueryBuilder<any, any, any> }

const valueColumn = (i: number) => `v${i}`

/**
 * One pass over the relation for all its row-condition tests. A relationships test either probes
 * its parent's keys as a subplan PostgreSQL hashes once (`subplans`), or left-joins the parent's
 * distinct keys (so no child row is repeated) and counts the rows that found none:
 * ```sql
 * select count(*) filter (where "t"."a" is null) as "v0",
 *        count(*) filter (where ("t"."p_id" is not null and not "t"."p_id" in (select "p"."id" from "s"."parents" as "p" where "p"."id" is not null))) as "v1"
 * from "s"."m" as "t"
 * -- or, joined: count(*) filter (where ("t"."p_id" is not null and "r1"."k" is null)) as "v1" … from "s"."m" as "t"
 * --   left join (select distinct "p"."id" as "k" from "s"."parents" as "p" where "p"."id" is not null) as "r1" on "r1"."k" = "t"."p_id"
 * ```
 */
function scanQuery(relation: TableLocation, tests: CompiledTest[], subplans = false): SelectQueryBuilder<any, any, any> {
  let query: SelectQueryBuilder<any, any, any> = db.selectFrom(tableOf(relation).as('t'))
  const aggregates = tests.map((test, i) => {
    const measure = test.measure as Extract<TestMeasure, { kind: 'scan' }>
    const alias = `r${i}`
    if (subplans && measure.subplanAggregate) return measure.subplanAggregate.as(valueColumn(i))
    if (measure.join) {
      const { parent, field, column } = measure.join
      const keys = db.selectFrom(tableOf(parent).as('p')).select(sql.ref(`p.${field}`).as('k')).distinct().where(`p.${field}`, 'is not', null)
      query = query.leftJoin(keys.as(alias), `${alias}.k` as never, `t.${column}` as never)
    }
    return measure.aggregate(alias).as(valueColumn(i))
  })
  return query.select(aggregates)
}

/**
 * The non-null values of each key occurring more than once, counted per key in one pass:
 * ```sql
 * select count(*) filter (where "d0") as "v0", count(*) filter (where "d1") as "v1" from (
 *   select grouping("k0") = 0 and "k0" is not null as "d0", grouping("k1") = 0 and "k1" is not null as "d1"
 *   from (select "t"."a" as "k0", "t"."b" as "k1" from "s"."m" as "t") as "keys"
 *   group by grouping sets (("k0"), ("k1")) having count(*) > 1) as "duplicates"
 * ```
 */
function uniqueQuery(relation: TableLocation, tests: CompiledTest[]): SelectQueryBuilder<any, any, any> {
  const keys = db
    .selectFrom(tableOf(relation).as('t'))
    .select(tests.map((test, i) => (test.measure as { key: any }).key.as(`k${i}`)))
  if (tests.length === 1) {
    const duplicates = db.selectFrom(keys.as('keys')).select('k0').where('k0', 'is not', null).groupBy('k0').having((e) => e.fn.countAll(), '>', 1)
    return db.selectFrom(duplicates.as('duplicates')).select((e) => e.fn.countAll().as(valueColumn(0)))
  }
  const sets = sql.join(tests.map((_, i) => sql`(${sql.ref(`k${i}`)})`))
  const duplicates = db
    .selectFrom(keys.as('keys'))
    .select(tests.map((_, i) => sql<boolean>`grouping(${sql.ref(`k${i}`)}) = 0 and ${sql.ref(`k${i}`)} is not null`.as(`d${i}`)))
    .groupBy(sql`grouping sets (${sets})`)
    .having((e) => e.fn.countAll(), '>', 1)
  return db.selectFrom(duplicates.as('duplicates')).select((e) => tests.map((_, i) => e.fn.countAll().filterWhere(sql.ref(`d${i}`) as never).as(valueColumn(i))))
}

/** True when EXPLAIN shows every subplan of the query hashed once (none re-run per row). */
async function allSubplansHashed(client: pg.ClientBase, query: SelectQueryBuilder<any, any, any>): Promise<boolean> {
  const compiled = query.compile()
  try {
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain (verbose) ${compiled.sql}`, [...compiled.parameters])
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n')
    const used = new Set(plan.match(/SubPlan \d+/g) ?? [])
    const hashed = new Set((plan.match(/hashed SubPlan \d+/g) ?? []).map((h) => h.slice('hashed '.length)))
    return used.size > 0 && [...used].every((s) => hashed.has(s))
  } catch {
    return false // the run itself reports the error
  }
}

/** The standalone query of one test (dbt's way: one query per test), returning `v0`. */
export function singleQuery(test: CompiledTest): SelectQueryBuilder<any, any, any> {
  const m = test.measure
  if (m.kind === 'query') return db.selectFrom(m.query.as('measure')).select(sql.ref('value').as(valueColumn(0)))
  if (m.kind === 'unique') return uniqueQuery(test.relation, [test])
  if (m.alone) return db.selectFrom(m.alone.as('measure')).select(sql.ref('value').as(valueColumn(0)))
  return scanQuery(test.relation, [test])
}

/**
 * Groups tests into as few scans as possible: per tested relation, one scan query for the
 * row-condition tests (not_null, accepted_values, accepted_range, expression, relationships,
 * row_count, freshness of a column) and one grouping-sets query for the `unique` tests.
 * Relationships probe their parents as hashed subplans when EXPLAIN shows PostgreSQL will hash
 * every one of them (parents small enough for work_mem), else as hash joins (cheaper than a
 * subplan run per row, a bit dearer than a hashed one).
 * With `oneQueryPerTest` every test runs alone, as dbt does (relationships as an anti-join).
 */
export async function planTests(
  client: pg.ClientBase,
  tests: readonly CompiledTest[],
  options: { oneQueryPerTest?: boolean } = {},
): Promise<TestBatch[]> {
  if (options.oneQueryPerTest) return tests.map((test) => ({ kind: 'single', tests: [test], query: singleQuery(test) }))
  const batches: TestBatch[] = []
  const byRelation = new Map<string, { relation: TableLocation; scan: CompiledTest[]; unique: CompiledTest[] }>()
  for (const test of tests) {
    if (test.measure.kind === 'query') {
      batches.push({ kind: 'single', tests: [test], query: singleQuery(test) })
      continue
    }
    const key = JSON.stringify([test.relation.schema, test.relation.name])
    let group = byRelation.get(key)
    if (!group) byRelation.set(key, (group = { relation: test.relation, scan: [], unique: [] }))
    group[test.measure.kind].push(test)
  }
  for (const { relation, scan, unique } of byRelation.values()) {
    if (scan.length > 0) {
      const probing = scan.some((t) => t.measure.kind === 'scan' && t.measure.subplanAggregate)
      const subplans = probing && (await allSubplansHashed(client, scanQuery(relation, scan, true)))
      batches.push({ kind: 'scan', relation, tests: scan, query: scanQuery(relation, scan, subplans) })
    }
    if (unique.length > 0) batches.push({ kind: 'unique', relation, tests: unique, query: uniqueQuery(relation, unique) })
  }
  return batches
}
