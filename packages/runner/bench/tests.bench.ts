/**
 * `pnpm bench:tests`: 40 column tests on a 5,000,000-row, 20-column model, run our way
 * (shared scans) and dbt's way (one query per test), in the same process on the same server.
 * Target: ours ≤ 0.4 × one-query-per-test. Data is generated in SQL with generate_series
 * on a throwaway embedded PostgreSQL. ROWS=… overrides the row count.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startEmbeddedServer } from '@elt/core'
import pg from 'pg'
import { acceptedValues, relationships, type ColumnTest } from '../src/define/data-test.ts'
import { defineSource } from '../src/define/define-source.ts'
import { compileRelationTests, runTests, type TestResult } from '../src/test/index.ts'

const rows = Number(process.env.ROWS ?? 5_000_000)
const rounds = Number(process.env.ROUNDS ?? 2)

type Row = Record<string, unknown>
const dims = ['dim_a', 'dim_b', 'dim_c', 'dim_d', 'dim_e', 'dim_f'] as const

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'elt-bench-tests-'))
  const server = await startEmbeddedServer({ dir, ephemeral: true })
  const admin = new pg.Client({ connectionString: server.urlFor('postgres') })
  await admin.connect()
  await admin.query('create database bench')
  await admin.end()
  const client = new pg.Client({ connectionString: server.urlFor('bench') })
  await client.connect()
  try {
    let t = performance.now()
    // 20 columns: a unique id, a unique code, 6 foreign keys to small dimensions, 6 categorical
    // columns (5 values, some NULLs), 6 numeric/text/date columns.
    await client.query(`create schema bench`)
    for (const [i, dim] of dims.entries()) {
      await client.query(`create table bench.${dim} as select g as id, 'd' || g as label from generate_series(1, ${100 * (i + 1)}) g`)
    }
    await client.query(`create unlogged table bench.facts as select
        g as id, 'C' || g as code,
        ${dims.map((_, i) => `1 + (g * ${7 + i}) % ${100 * (i + 1)} as fk_${i}`).join(', ')},
        ${[0, 1, 2, 3, 4, 5].map((i) => `(array['a','b','c','d','e'])[1 + (g + ${i}) % 5] as cat_${i}`).join(', ')},
        (g % 1000) / 10.0 as amount, g % 97 as qty, md5(g::text) as note, date '2020-01-01' + (g % 1500) as day,
        case when g % 1000 = 0 then null else g % 13 end as score, (g % 2 = 0) as flag
      from generate_series(1, ${rows}) g`)
    await client.query(`vacuum analyze bench.facts`)
    for (const dim of dims) await client.query(`analyze bench.${dim}`)
    const size = (await client.query<{ size: string }>(`select pg_size_pretty(pg_table_size('bench.facts')) as size`)).rows[0]?.size
    console.log(`generated ${rows.toLocaleString('en')} rows × 20 columns (${size}) in ${((performance.now() - t) / 1000).toFixed(1)} s`)

    const dimSources = dims.map((name) => defineSource<{ id: number; label: string }>({ schema: 'bench', name }))
    const columns: Record<string, { tests: ColumnTest<Row, string>[] }> = {}
    const add = (column: string, test: ColumnTest<Row, string>) => (columns[column] ??= { tests: [] }).tests.push(test)
    // 40 tests: 20 not_null, 12 accepted_values, 2 unique, 6 relationships
    const all = ['id', 'code', ...dims.map((_, i) => `fk_${i}`), ...[0, 1, 2, 3, 4, 5].map((i) => `cat_${i}`), 'amount', 'qty', 'note', 'day', 'score', 'flag']
    for (const column of all) add(column, 'not_null')
    for (let i = 0; i < 6; i++) add(`cat_${i}`, acceptedValues(['a', 'b', 'c', 'd', 'e']))
    for (let i = 0; i < 6; i++) add(`cat_${i}`, acceptedValues(['a', 'b', 'c', 'd'], { name: `accepted_values_facts_cat_${i}_strict` }))
    add('id', 'unique')
    add('code', 'unique')
    for (let i = 0; i < 6; i++) add(`fk_${i}`, relationships(dimSources[i]!, 'id'))
    const facts = defineSource<Row>({ schema: 'bench', name: 'facts', columns: columns as never })
    const tests = compileRelationTests(facts, { locate: (r) => ({ schema: 'bench', name: r.name }) })
    console.log(`${tests.length} tests (${countBy(tests.map((x) => x.type))})`)

    await client.query('select count(*) from bench.facts') // warm the cache for both
    if (process.env.EXPLAIN) {
      const { planTests } = await import('../src/test/plan-tests.ts')
      for (const batch of await planTests(client, tests)) {
        const q = batch.query.compile()
        const plan = await client.query(`explain (analyze, costs off, verbose) ${q.sql}`, [...q.parameters])
        console.log(batch.kind, batch.tests.length, '\n' + plan.rows.map((r) => r['QUERY PLAN']).filter((l: string) => !l.includes('Filter:')).join('\n'))
      }
    }
    const timings: { ours: number[]; perTest: number[] } = { ours: [], perTest: [] }
    let ours: TestResult[] = []
    let perTest: TestResult[] = []
    for (let round = 0; round < rounds; round++) {
      t = performance.now()
      perTest = (await runTests(client, tests, { record: false, oneQueryPerTest: true })).results
      timings.perTest.push((performance.now() - t) / 1000)
      t = performance.now()
      ours = (await runTests(client, tests, { record: false })).results
      timings.ours.push((performance.now() - t) / 1000)
      const [perTestSeconds, oursSeconds] = [timings.perTest.at(-1)!, timings.ours.at(-1)!]
      console.log(`round ${round + 1}: one query per test ${perTestSeconds.toFixed(2)} s, shared scans ${oursSeconds.toFixed(2)} s → ratio ${(oursSeconds / perTestSeconds).toFixed(2)}`)
    }
    const same = ours.every((r, i) => r.failures === perTest[i]?.failures && r.status === perTest[i]?.status)
    if (!same) throw new Error('the two strategies disagree on failure counts')
    const best = { ours: Math.min(...timings.ours), perTest: Math.min(...timings.perTest) }
    const byType = (results: TestResult[]) =>
      Object.entries(results.reduce<Record<string, number>>((acc, r) => ((acc[r.type] = (acc[r.type] ?? 0) + r.seconds), acc), {}))
        .map(([k, v]) => `${k} ${v.toFixed(2)} s`)
        .join(', ')
    console.log(`one query per test, by type: ${byType(perTest)}`)
    console.log(`shared scans, by type:       ${byType(ours)}`)
    console.log(`failures agree: ${ours.filter((r) => r.failures).map((r) => `${r.id}=${r.failures}`).join(', ') || 'all zero'}`)
    const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0)
    const ratios = timings.ours.map((o, i) => o / timings.perTest[i]!).sort((a, b) => a - b)
    console.log(
      `best of ${rounds}: one query per test ${best.perTest.toFixed(2)} s, shared scans ${best.ours.toFixed(2)} s → ratio ${(best.ours / best.perTest).toFixed(2)}; ` +
        `all rounds: ratio of totals ${(sum(timings.ours) / sum(timings.perTest)).toFixed(2)}, median round ${ratios[Math.floor(ratios.length / 2)]!.toFixed(2)} (target ≤ 0.40)`,
    )
  } finally {
    await client.end()
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

function countBy(values: string[]): string {
  const counts = new Map<string, number>()
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ')
}

await main()
