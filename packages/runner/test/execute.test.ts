import { readFile, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { sql } from 'kysely'
import { Ajv } from 'ajv'
import { createTestDatabase, stallingProxy, type TestDatabase } from '@elt/core/testing'
import { collectProject, defineModel, listRuns, nodeHistory, runDetails, runManifest } from '../src/index.ts'
import { build, clientOf } from './db-helpers.ts'
import { films, project, rawDdl, stgFilms } from './fixtures.ts'
import manifestSchema from '../schemas/manifest.schema.json' with { type: 'json' }
import runResultsSchema from '../schemas/run-results.schema.json' with { type: 'json' }

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'execute')
  await db.query(rawDdl)
})
afterAll(() => db.drop())

const broken = defineModel({
  name: 'broken',
  materialized: 'table',
  from: { f: stgFilms },
  query: (db) => db.selectFrom('f').select(sql<number>`1 / 0`.as('boom')),
})
const afterBroken = defineModel({ name: 'after_broken', from: { broken }, query: (db) => db.selectFrom('broken').selectAll() })
const afterAfter = defineModel({ name: 'after_after', from: { afterBroken }, query: (db) => db.selectFrom('afterBroken').selectAll() })
const sibling = defineModel({ name: 'sibling', materialized: 'table', from: { f: stgFilms }, query: (db) => db.selectFrom('f').select('film_id') })

describe('executor', () => {
  it('a failed model skips its descendants while siblings succeed; the run fails', async () => {
    const outcome = await build(db, collectProject({ broken, afterBroken, afterAfter, sibling }), { threads: 2 })
    expect(outcome.status).toBe('error')
    const byName = Object.fromEntries(outcome.results.map((r) => [r.name, r]))
    expect(byName.stg_films?.status).toBe('success')
    expect(byName.sibling).toMatchObject({ status: 'success', rowsAffected: 4 })
    expect(byName.broken).toMatchObject({ status: 'error' })
    expect(byName.broken?.message).toMatch(/division by zero/)
    expect(byName.after_broken).toMatchObject({ status: 'skipped', message: 'skipped: upstream broken failed', startedAt: null })
    expect(byName.after_after).toMatchObject({ status: 'skipped', message: 'skipped: upstream broken failed' })
    expect(await db.query(`select count(*)::int as n from analytics.sibling`)).toEqual([{ n: 4 }])
    // recorded in _elt with the run id, readable through the history API
    const client = await clientOf(db)
    try {
      const details = await runDetails(client, outcome.runId)
      expect(details?.run.counts).toEqual({ success: 2, error: 1, skipped: 2 })
      expect(details?.nodes.find((n) => n.name === 'broken')).toMatchObject({ status: 'error', materialized: 'table', targetSchema: 'analytics', worker: expect.any(Number) })
      const runs = await listRuns(client)
      expect(runs[0]?.runId).toBe(outcome.runId)
      expect(((await runManifest(client, outcome.runId)) as { nodes: object }).nodes).toHaveProperty('model.after_after')
    } finally {
      await client.end()
    }
  })

  it('runs up to --threads models at the same time, each on its own worker', async () => {
    const slow = (name: string) =>
      defineModel({ name, materialized: 'table', from: { films }, query: (db) => db.selectFrom('films').select(sql<string>`pg_sleep(0.3)::text`.as('slept')).limit(1) })
    const p = collectProject({ a: slow('slow_a'), b: slow('slow_b'), c: slow('slow_c') })
    const outcome = await build(db, p, { threads: 3 })
    expect(outcome.status).toBe('success')
    expect(new Set(outcome.results.map((r) => r.worker))).toEqual(new Set([1, 2, 3]))
    // all three ran at the same time: each started before any of them finished
    const lastStart = Math.max(...outcome.results.map((r) => r.startedAt!.getTime()))
    const firstFinish = Math.min(...outcome.results.map((r) => r.finishedAt!.getTime()))
    expect(lastStart).toBeLessThan(firstFinish)
    const serial = await build(db, p, { threads: 1 })
    expect(new Set(serial.results.map((r) => r.worker))).toEqual(new Set([1]))
    const [a, b, c] = serial.results
    expect(a!.finishedAt!.getTime()).toBeLessThanOrEqual(b!.startedAt!.getTime())
    expect(b!.finishedAt!.getTime()).toBeLessThanOrEqual(c!.startedAt!.getTime())
  })

  it('dev and prod targets write to their own schemas', async () => {
    await build(db, project(), { schema: 'analytics_alice' })
    const schemas = await db.query(`select table_schema, count(*)::int as n from information_schema.tables where table_name in ('stg_films', 'film_summary', 'top_films') group by 1 order by 1`)
    expect(schemas).toContainEqual({ table_schema: 'analytics_alice', n: 3 })
    expect(await db.query(`select count(*)::int as n from analytics_alice.film_summary`)).toEqual([{ n: 4 }])
    expect(await db.query(`select count(*)::int as n from raw.films`)).toEqual([{ n: 4 }])
  })

  it('an afterBuild hook that fails skips the descendants (the seam data tests use)', async () => {
    const seen: string[] = []
    const outcome = await build(db, project(), {
      afterBuild: async (node, client) => {
        seen.push(node.name)
        const { rows } = await client.query(`select 1 as ok`)
        return {
          failed: node.name === 'stg_films' && rows.length === 1,
          results: [{ id: `test.${node.name}`, name: `test_${node.name}`, kind: 'test', materialized: null, status: 'success', startedAt: null, finishedAt: null, seconds: 0, rowsAffected: null, message: null, worker: null, failures: 0 }],
        }
      },
    })
    expect(seen).not.toContain('cast_size') // ephemeral models are never tested
    const byName = Object.fromEntries(outcome.results.map((r) => [r.name, r.status]))
    expect(byName).toMatchObject({ stg_films: 'error', stg_film_actors: 'success', film_summary: 'skipped', top_films: 'skipped' })
    expect(outcome.runResults.results.filter((r) => r.kind === 'test').map((r) => r.id).sort()).toEqual(['test.stg_film_actors', 'test.stg_films'])
  })

  it('writes manifest.json and run_results.json that match their committed JSON Schemas', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'elt-artifacts-'))
    try {
      const outcome = await build(db, project(), { artifactsDir: dir })
      const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'))
      const results = JSON.parse(await readFile(path.join(dir, 'run_results.json'), 'utf8'))
      const ajv = new Ajv({ allErrors: true, validateFormats: false })
      expect(ajv.validate(manifestSchema, manifest), JSON.stringify(ajv.errors)).toBe(true)
      expect(ajv.validate(runResultsSchema, results), JSON.stringify(ajv.errors)).toBe(true)
      expect(manifest.schema_version).toBe(2)
      expect(manifest.nodes['model.film_summary']).toMatchObject({
        kind: 'model',
        materialized: 'table',
        relation: '"analytics"."film_summary"',
        tags: ['marts'],
        depends_on: ['model.cast_size', 'model.stg_films'],
      })
      expect(manifest.nodes['model.film_summary'].sql).toContain('from "analytics"."stg_films" as "films"')
      expect(manifest.nodes['model.cast_size'].relation).toBeNull()
      expect(manifest.nodes['model.film_summary'].columns).toEqual({
        film_id: { data_type: 'integer', tests: [], depends_on: [{ node: 'model.stg_films', column: 'film_id', kind: 'direct' }] },
        title: { data_type: 'text', tests: [], depends_on: [{ node: 'model.stg_films', column: 'title', kind: 'direct' }] },
        actors: { data_type: 'bigint', tests: [], depends_on: [{ node: 'model.cast_size', column: 'n', kind: 'derived' }] },
      })
      expect(manifest.nodes['model.film_summary'].depends_on_columns).toEqual([
        { node: 'model.cast_size', column: 'film_id', kind: 'filter', clause: 'join' },
        { node: 'model.stg_films', column: 'film_id', kind: 'filter', clause: 'join' },
      ])
      expect(manifest.nodes['source.raw.films'].columns.user_rating).toEqual({ data_type: 'numeric(2,1)', tests: [] })
      expect(manifest.child_map['source.raw.films']).toEqual(['model.stg_films'])
      expect(manifest.parent_map['model.top_films']).toEqual(['model.film_summary', 'model.stg_films'])
      expect(results).toMatchObject({ schema_version: 1, run_id: outcome.runId, status: 'success' })
      expect(results.results).toHaveLength(5)
      expect(results.results.find((r: { name: string }) => r.name === 'film_summary')).toMatchObject({ status: 'success', rows_affected: 4 })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('Ctrl-C cancels the running statement and skips what had not started', async () => {
    const sleeper = defineModel({ name: 'sleeper', materialized: 'table', from: { films }, query: (db) => db.selectFrom('films').select(sql<string>`pg_sleep(30)::text`.as('s')).limit(1) })
    const later = defineModel({ name: 'later', from: { sleeper }, query: (db) => db.selectFrom('sleeper').selectAll() })
    const controller = new AbortController()
    const started = performance.now()
    const outcome = await build(db, collectProject({ sleeper, later }), {
      signal: controller.signal,
      onEvent: (event) => void (event.type === 'start' && setTimeout(() => controller.abort(), 300)),
    })
    expect(performance.now() - started).toBeLessThan(15_000) // not the 30 s of the statement
    expect(outcome.status).toBe('cancelled')
    expect(outcome.results.map((r) => [r.name, r.status, r.message])).toEqual([
      ['sleeper', 'error', 'cancelled by the user'],
      ['later', 'skipped', 'skipped: upstream sleeper failed'],
    ])
    expect(await db.query(`select count(*)::int as n from pg_stat_activity where query like '%pg_sleep(30)%' and pid <> pg_backend_pid()`)).toEqual([{ n: 0 }])
  })

  it("a build whose connection stops passing data fails saying so instead of waiting forever, and its worker goes on with a new connection", async () => {
    const proxy = await stallingProxy(db.url)
    const stalled = defineModel({ name: 'a_stalled', materialized: 'table', from: { films }, query: (db) => db.selectFrom('films').select(sql<string>`pg_sleep(1)::text`.as('slept')).limit(1) })
    const next = defineModel({ name: 'b_next', materialized: 'table', from: { films }, query: (db) => db.selectFrom('films').select('film_id') })
    try {
      const through = { ...db, url: proxy.url(db.url) }
      const outcome = await build(through, collectProject({ stalled, next }), {
        threads: 1,
        destination: { label: 'destination', url: through.url },
        stallSeconds: 2,
        onEvent: (e) => {
          // the worker's connection is the newest (the control connection came first): its answer never arrives
          if (e.type === 'start' && e.name === 'a_stalled') setTimeout(() => proxy.cut({ newest: 1 }), 300)
        },
      })
      const byName = Object.fromEntries(outcome.results.map((r) => [r.name, r]))
      expect(byName.a_stalled).toMatchObject({ status: 'error' })
      expect(byName.a_stalled?.message).toMatch(/^Nothing moved for \d+ s while building a_stalled: the destination's session \(pid \d+\) has waited \d+ s for this process's next statement\. Its connection was closed/)
      expect(byName.b_next).toMatchObject({ status: 'success', rowsAffected: 4, worker: 1 })
      expect(byName.b_next!.startedAt!.getTime()).toBeGreaterThanOrEqual(byName.a_stalled!.finishedAt!.getTime())
      expect(await db.query(`select to_regclass('analytics.a_stalled') is null as gone`)).toEqual([{ gone: true }])
    } finally {
      proxy.destroy()
    }
  }, 30_000)

  it('nodeHistory lists a node across runs, newest first', async () => {
    const client = await clientOf(db)
    try {
      const history = await nodeHistory(client, 'model.film_summary')
      expect(history.length).toBeGreaterThanOrEqual(3)
      expect(history[0]!.recordedAt.getTime()).toBeGreaterThanOrEqual(history[1]!.recordedAt.getTime())
      expect(history.map((h) => h.status)).toContain('skipped')
      expect(history.map((h) => h.status)).toContain('success')
      expect(await runDetails(client, '00000000-0000-0000-0000-000000000000')).toBeUndefined()
    } finally {
      await client.end()
    }
  })
})
