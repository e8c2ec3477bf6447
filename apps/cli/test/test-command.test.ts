import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { parseConfig } from '@elt/config'
import { connectClient, startRun } from '@elt/core'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { createContext } from '../src/context.ts'
import { buildTask, planModels } from '../src/tasks/build-task.ts'
import { dataTestsForBuild } from '../src/tasks/test-task.ts'
import { emptyProject, runElt } from './replicate-helpers.ts'

/**
 * `pnpm models test` on the real project: replicate the seed, build the models, run their tests;
 * then break the replica and see the right tests fail with the right counts.
 */
let source: TestDatabase
let destination: TestDatabase
let env: Record<string, string>
let cwd: string

interface TestLine {
  id: string
  type: string
  model: string
  column: string | null
  severity: string
  status: string
  failures: number | null
  seconds: number
}

const modelsProject = new URL('../../../packages/models/src/index.ts', import.meta.url).pathname
const test = async (...args: string[]) => {
  const result = await runElt(['models', 'test', ...args], env, cwd)
  return { ...result, json: args.includes('--json') ? (JSON.parse(result.stdout) as { tests: TestLine[]; status: string }) : undefined }
}

beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'cli_test_src')
  destination = await createTestDatabase(inject('pgAdminUrl'), 'cli_test_dst')
  await source.query(await readFile(new URL('../../../source_db_init/init.sql', import.meta.url), 'utf8'))
  env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url }
  const ticketSales = new URL('../../../source_db_init/ticket_sales.csv', import.meta.url).pathname
  const ccbExport = new URL('../../../source_db_init/ccb_contratos.jsonl', import.meta.url).pathname
  const sources = {
    postgres: { kind: 'postgres' },
    ticket_sales: { kind: 'csv', path: ticketSales, table: 'ticket_sales' },
    ccb: { kind: 'mongodb-export', path: ccbExport, mapping: 'ccb_contracts', targetSchema: 'ccb' },
  }
  cwd = await emptyProject(`export default ${JSON.stringify({ models: { project: modelsProject }, sources })}\n`)
  expect((await runElt(['replicate'], env, cwd)).code).toBe(0)
  const build = await runElt(['build'], env, cwd)
  expect(build.code, build.stderr).toBe(0)
}, 180_000)

afterAll(async () => {
  await source?.drop()
  await destination?.drop()
})

describe('pnpm models test', () => {
  it('runs every test of the project, all passing on the seed, and prints only JSON with --json', async () => {
    const { code, json, stderr } = await test('--json')
    expect(code, stderr).toBe(0)
    expect(json?.status).toBe('pass')
    const ids = json!.tests.map((t) => t.id)
    expect(ids).toEqual(
      expect.arrayContaining([
        'not_null_stg_films_film_id',
        'unique_stg_films_film_id',
        'not_null_film_ratings_film_id',
        'unique_film_ratings_film_id',
        'relationships_stg_film_actors_film_id__film_id__stg_films',
        'relationships_stg_film_actors_actor_id__actor_id__stg_actors',
        'relationships_stg_film_category_film_id__film_id__stg_films',
        'accepted_values_film_ratings_rating_category',
        'accepted_range_film_ratings_user_rating',
        'unique_combination_stg_film_actors_film_id__actor_id',
        'source_freshness_raw_films',
        'film_ratings_actor_count_matches_cast',
      ]),
    )
    expect(json!.tests.filter((t) => t.status !== 'pass')).toEqual([])
    const line = json!.tests.find((t) => t.id === 'unique_film_ratings_film_id')!
    expect(Object.keys(line)).toEqual(['id', 'type', 'model', 'column', 'severity', 'status', 'failures', 'seconds'])
    expect(line).toMatchObject({ type: 'unique', model: 'film_ratings', column: 'film_id', severity: 'error', failures: 0 })
    // one progress line per test on stderr
    expect(stderr.split('\n').filter((l) => / (PASS|WARN|FAIL|ERROR) +\S+ /.test(l))).toHaveLength(json!.tests.length)

    // results are history in _elt, and tests are in target/run_results.json
    const runResults = JSON.parse(await readFile(path.join(cwd, 'target', 'run_results.json'), 'utf8'))
    expect(runResults.command).toBe('test')
    const recorded = await destination.query<{ n: number }>(`select count(*)::int as n from _elt.test_results where run_id = $1`, [runResults.run_id])
    expect(recorded[0]?.n).toBe(json!.tests.length)
    // `elt build` (in beforeAll) ran the same tests right after each model: two runs of history now
    const runs = await destination.query<{ command: string; tests: number }>(
      `select r.command, count(*)::int as tests from _elt.test_results t join _elt.runs r using (run_id) group by r.command order by 1`,
    )
    expect(runs).toEqual([{ command: 'build', tests: json!.tests.length }, { command: 'test', tests: json!.tests.length }])
    expect(runResults.results.find((r: { id: string }) => r.id === 'test.unique_film_ratings_film_id')).toMatchObject({ kind: 'test', status: 'success', failures: 0 })
  })

  it('runs each model\'s tests right after it builds when build plugs in dataTestsForBuild', async () => {
    let stderr = ''
    const releases: (() => Promise<void>)[] = []
    const context = createContext({
      io: { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, env, cwd },
      config: parseConfig({ models: { project: modelsProject } }, { dir: cwd }),
      projectDir: cwd,
      json: false,
      verbose: false,
      signal: new AbortController().signal,
      onRelease: (release) => releases.push(release),
    })
    try {
      const plan = await planModels(context, { values: { select: ['stg_films+'] }, positionals: [] })
      const client = await connectClient({ label: 'destination', url: destination.url })
      const runId = await startRun(client, { command: 'build' })
      await client.end()
      const tests = await dataTestsForBuild(context, plan, runId)
      const result = await buildTask(context, { plan, afterBuild: tests.hook.afterBuild, extraNodes: tests.manifestNodes }, runId)
      expect(result.status).toBe('success')
      await tests.finish()
      const ran = tests.hook.results.map((r) => r.id)
      // stg_films+ : stg_films, film_ratings (and the marts reading them); their tests ran, others did not
      expect(ran).toEqual(expect.arrayContaining(['unique_stg_films_film_id', 'unique_film_ratings_film_id', 'accepted_values_film_ratings_rating_category']))
      expect(ran).not.toContain('unique_stg_users_user_id')
      // dbt's "cautious" indirect selection: a test that also reads a model this build does not build is left out
      expect(ran).not.toContain('relationships_stg_film_category_film_id__film_id__stg_films')
      expect(ran).not.toContain('film_ratings_actor_count_matches_cast')
      expect(tests.hook.results.filter((r) => r.status !== 'pass')).toEqual([])
      expect(result.results.filter((r) => r.kind === 'test').length).toBeGreaterThan(5)
      expect(stderr).toContain('TEST  PASS  unique_film_ratings_film_id')
      const manifest = JSON.parse(await readFile(path.join(cwd, 'target', 'manifest.json'), 'utf8'))
      expect(manifest.nodes['test.film_ratings_actor_count_matches_cast']).toMatchObject({ kind: 'test', depends_on: ['model.film_ratings', 'model.stg_film_actors'] })
    } finally {
      for (const release of releases) await release()
    }
  })

  it('selects tests by test_type, by model (with its tests) and excludes', async () => {
    const relationships = await test('--json', '--select', 'test_type:relationships')
    expect(relationships.json!.tests.map((t) => t.id).sort()).toEqual([
      'relationships_ccb_carteira_cpf__cpf__ccb_clientes',
      'relationships_film_sales_film_id__film_id__film_ratings',
      'relationships_stg_film_actors_actor_id__actor_id__stg_actors',
      'relationships_stg_film_actors_film_id__film_id__stg_films',
      'relationships_stg_film_category_film_id__film_id__stg_films',
      'relationships_stg_ticket_sales_film_id__film_id__stg_films',
      'relationships_stg_ticket_sales_user_id__user_id__stg_users',
    ])
    const ratings = await test('--json', '--select', 'film_ratings', '--exclude', 'test_type:accepted_range')
    expect(ratings.json!.tests.map((t) => t.id).sort()).toEqual([
      'accepted_values_film_ratings_rating_category',
      'film_ratings_actor_count_matches_cast',
      'not_null_film_ratings_film_id',
      'not_null_film_ratings_rating_category',
      'relationships_film_sales_film_id__film_id__film_ratings', // reads film_ratings too (dbt's eager indirect selection)
      'unique_film_ratings_film_id',
    ])
    const tagged = await test('--json', '--select', 'tag:staging,test_type:unique')
    expect(tagged.json!.tests.map((t) => t.id).sort()).toEqual([
      'unique_stg_actors_actor_id',
      'unique_stg_film_category_category_id',
      'unique_stg_films_film_id',
      'unique_stg_ticket_sales_sale_id',
      'unique_stg_users_user_id',
    ])
    const unknown = await test('--select', 'test_type:nope')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('The selector "test_type:nope" matches no node')
  })

  it('fails with exit 1, counts and the SQL to reproduce when the replica has orphans', async () => {
    const [expected] = await destination.query<{ cast_rows: number; category_rows: number; sales_rows: number }>(`
      select (select count(*)::int from raw.film_actors where film_id in (1, 2)) as cast_rows,
             (select count(*)::int from raw.film_category where film_id in (1, 2)) as category_rows,
             (select count(*)::int from raw.ticket_sales where film_id in (1, 2)) as sales_rows`)
    await destination.query(`set session_replication_role = replica; delete from raw.films where film_id in (1, 2)`)
    const { code, json } = await test('--json', '--select', 'test_type:relationships')
    expect(code).toBe(1)
    expect(json?.status).toBe('fail')
    const failures = Object.fromEntries(json!.tests.map((t) => [t.id, [t.status, t.failures]]))
    expect(failures).toEqual({
      relationships_stg_film_actors_film_id__film_id__stg_films: ['fail', expected!.cast_rows],
      relationships_stg_film_actors_actor_id__actor_id__stg_actors: ['pass', 0],
      relationships_stg_film_category_film_id__film_id__stg_films: ['fail', expected!.category_rows],
      // the CSV's sales of films 1 and 2 are orphans now too; film_sales (a table built before) still matches film_ratings
      relationships_stg_ticket_sales_film_id__film_id__stg_films: ['fail', expected!.sales_rows],
      relationships_stg_ticket_sales_user_id__user_id__stg_users: ['pass', 0],
      relationships_film_sales_film_id__film_id__film_ratings: ['pass', 0],
      relationships_ccb_carteira_cpf__cpf__ccb_clientes: ['pass', 0],
    })
    expect(expected!.sales_rows).toBeGreaterThan(0)
    expect(expected!.cast_rows).toBe(8)

    const text = await test('--select', 'test_type:relationships')
    expect(text.code).toBe(1)
    expect(text.stdout).toContain(
      `reproduce: select "t".* from "analytics"."stg_film_actors" as "t" where ("t"."film_id" is not null and not exists (select 1 as "one" from "analytics"."stg_films" as "p" where "p"."film_id" = "t"."film_id"))`,
    )
    expect(text.stdout).toContain(`8 failing row(s) kept in _elt_audit.test_failures (test_id = 'relationships_stg_film_actors_film_id__film_id__stg_films')`)
    expect(text.stdout).toMatch(/Failed: 4 passed, 0 warned, 3 failed, 0 errored \(7 tests\)\./)
    const sample = await destination.query<{ row: { film_id: number } }>(
      `select "row" from _elt_audit.test_failures where test_id = 'relationships_stg_film_actors_film_id__film_id__stg_films' order by ordinal`,
    )
    expect(sample.map((s) => s.row.film_id).sort()).toEqual([1, 1, 1, 1, 2, 2, 2, 2])

    // --sample-size caps the rows kept; the history keeps both runs
    expect((await test('--select', 'test_type:relationships', '--sample-size', '2')).code).toBe(1)
    const capped = await destination.query(`select 1 from _elt_audit.test_failures where test_id = 'relationships_stg_film_actors_film_id__film_id__stg_films'`)
    expect(capped).toHaveLength(2)
    const history = await destination.query<{ status: string }>(
      `select status from _elt.test_results where test_id = 'relationships_stg_film_actors_film_id__film_id__stg_films' order by run_at`,
    )
    expect(history.map((h) => h.status)).toEqual(['pass', 'pass', 'pass', 'fail', 'fail', 'fail']) // 3 passing test runs; then 3 failing
    expect((await test('--sample-size', 'lots')).code).toBe(2)
  })
})
