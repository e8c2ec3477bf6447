import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { fixtureDatabase } from '../../../packages/models/test/fixture-database.ts'
import { emptyProject, runElt } from './replicate-helpers.ts'

const modelsProject = fileURLToPath(new URL('../../../packages/models/src/index.ts', import.meta.url))
/** A project folder whose elt.config.ts points at this repository's models. */
const modelsConfig = `export default { models: { project: ${JSON.stringify(modelsProject)} }, targets: { prod: { schema: 'analytics' }, dev: { schema: 'analytics_{user}' } } }\n`

let source: TestDatabase
let destination: TestDatabase
let env: Record<string, string>
beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'cli_build_src')
  destination = await fixtureDatabase(inject('pgAdminUrl'), 'cli_build_dst')
  env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url, USER: 'Test.User' }
})
afterAll(async () => {
  await source.drop()
  await destination.drop()
})

describe('elt build', () => {
  it('builds every model, prints only JSON with --json, records the run and writes the artifacts', async () => {
    const cwd = await emptyProject(modelsConfig)
    // sources left out: their freshness test needs replicate's load records, which this fixture has not
    const { code, stdout, stderr } = await runElt(['build', '--json', '--threads', '2', '--exclude', 'source:*'], env, cwd)
    expect(code, stderr).toBe(0)
    expect(stderr).toMatch(/\d+\/13 OK +table +film_ratings +118 rows/)
    expect(code).toBe(0)
    const summary = JSON.parse(stdout)
    expect(summary).toMatchObject({ status: 'success', target: { name: 'prod', schema: 'analytics' } })
    expect(summary.models).toHaveLength(13)
    expect(summary.models.find((m: { name: string }) => m.name === 'film_ratings')).toMatchObject({ materialized: 'table', status: 'success', rows: 118, seconds: expect.any(Number) })
    expect(Object.keys(summary.models[0]).sort()).toEqual(['materialized', 'name', 'rows', 'seconds', 'status'])
    const runs = await destination.query(`select command, target, status, summary->>'status' as s from _elt.runs where run_id = $1`, [summary.runId])
    expect(runs).toEqual([{ command: 'build', target: 'prod', status: 'success', s: 'success' }])
    expect(await destination.query(`select count(*)::int as n from _elt.model_results where run_id = $1 and status = 'success'`, [summary.runId])).toEqual([{ n: 13 }])
    const manifest = JSON.parse(await readFile(path.join(cwd, 'target', 'manifest.json'), 'utf8'))
    const results = JSON.parse(await readFile(path.join(cwd, 'target', 'run_results.json'), 'utf8'))
    const kinds = Object.values(manifest.nodes as Record<string, { kind: string }>).map((n) => n.kind)
    expect(kinds.filter((k) => k === 'source' || k === 'model')).toHaveLength(22)
    expect(summary.tests.length).toBeGreaterThan(0)
    expect(summary.tests.every((t: { status: string }) => t.status === 'pass')).toBe(true)
    // + the tests of the sources left out (raw.films' freshness; raw.ticket_sales' freshness, not_null and unique; ccb.clientes.cpf and ccb.operacoes.numero_ccb not_null and unique)
    const sourceTests = Object.values(manifest.nodes as Record<string, { kind: string; tested_node?: string }>).filter((n) => n.kind === 'test' && n.tested_node?.startsWith('source.'))
    expect(sourceTests).toHaveLength(10)
    expect(kinds.filter((k) => k === 'test').length).toBe(summary.tests.length + sourceTests.length)
    expect(results).toMatchObject({ run_id: summary.runId, command: 'build', status: 'success' })
  })

  it('--select with --target dev builds only the selection into analytics_<user>', async () => {
    const cwd = await emptyProject(modelsConfig)
    const { code, stdout, stderr } = await runElt(['build', '--json', '--target', 'dev', '--select', '+category_stats', '--exclude', 'source:* actor_filmography'], env, cwd)
    expect(code, stdout + stderr).toBe(0)
    expect(JSON.parse(stdout).models.map((m: { name: string }) => m.name)).toEqual(['stg_actors', 'stg_film_actors', 'stg_film_category', 'stg_films', 'int_actor_ratings', 'film_ratings', 'category_stats'])
    const tables = await destination.query(`select table_name from information_schema.tables where table_schema = 'analytics_test_user' order by 1`)
    expect(tables.map((t) => t.table_name)).toEqual(['category_stats', 'film_ratings', 'stg_actors', 'stg_film_actors', 'stg_film_category', 'stg_films'])
  })

  it('exits 1 when a model fails, skipping its descendants, and prints the summary', async () => {
    const cwd = await emptyProject(modelsConfig)
    await destination.query('alter table raw.users rename to users_gone')
    try {
      const { code, stdout, stderr } = await runElt(['build', '--select', '+user_directory stg_films'], env, cwd)
      expect(code).toBe(1)
      expect(stderr).toMatch(/ERROR view +stg_users .*relation "raw\.users" does not exist/)
      expect(stderr).toMatch(/SKIP +incremental +user_directory +skipped: upstream stg_users failed/)
      expect(stdout).toMatch(/stg_films +view +success/)
      expect(stdout).toContain('Failed: 1 built, 1 failed, 1 skipped, into schema "analytics" (prod).')
      expect(await destination.query(`select status from _elt.runs order by started_at desc limit 1`)).toEqual([{ status: 'error' }])
    } finally {
      await destination.query('alter table raw.users_gone rename to users')
    }
  })

  it('exits 2 on bad usage: threads, selector, target', async () => {
    const cwd = await emptyProject(modelsConfig)
    const threads = await runElt(['build', '--threads', '0'], env, cwd)
    expect(threads.code).toBe(2)
    expect(threads.stderr).toContain('--threads must be a whole number ≥ 1, got "0".')
    const selector = await runElt(['build', '--select', 'film_ratingz'], env, cwd)
    expect(selector.code).toBe(2)
    expect(selector.stderr).toContain('The selector "film_ratingz" matches no node.')
    const target = await runElt(['build', '--target', 'staging'], env, cwd)
    expect(target.code).toBe(2)
    expect(target.stderr).toContain('Unknown target "staging".')
    expect(existsSync(path.join(cwd, 'target', 'run_results.json'))).toBe(false)
  })
})
