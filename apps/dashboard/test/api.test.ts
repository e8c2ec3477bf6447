import type {} from '@elt/core/testing/global-setup' // declares inject('pgAdminUrl')
import { existsSync } from 'node:fs'
import { request } from 'node:http'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { holdRunLock, silentLogger } from '@elt/core'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { testStats } from '@elt/runner'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { warehouseSource } from '../src/data/warehouse-source.ts'
import { selectNodes } from '../src/lineage/select-nodes.ts'
import { startDashboardServer, type DashboardServer } from '../src/server/create-server.ts'
import { startDashboardProcess } from './fixtures/dashboard-process.ts'
import { filmManifest, filmManifestWithCsvSource, runIds, seedFilmWarehouse, writeManifest } from './fixtures/film-warehouse.ts'

let db: TestDatabase
let dashboard: DashboardServer
let source: ReturnType<typeof warehouseSource>
let triggerDir: string

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'dashboard_api')
  await seedFilmWarehouse(db)
  source = warehouseSource({ destinationUrl: db.url, manifestPath: await writeManifest(filmManifest()) })
  triggerDir = await mkdtemp(path.join(tmpdir(), 'elt-trigger-'))
  dashboard = await startDashboardServer({
    source,
    select: selectNodes,
    logger: silentLogger,
    port: 0,
    // A real child process standing in for `pnpm elt run --json`: it leaves a file behind.
    trigger: { token: 'test-token', cwd: triggerDir, command: [process.execPath, '-e', "require('fs').writeFileSync('triggered.txt', 'ran')"] },
  })
})
afterAll(async () => {
  await dashboard?.close()
  await source?.close()
  await db?.drop()
})

async function get<T = any>(pathAndQuery: string): Promise<{ status: number; body: T }> {
  const response = await fetch(dashboard.url + pathAndQuery)
  return { status: response.status, body: (await response.json()) as T }
}

describe('GET /api/manifest', () => {
  it('lists source tables, raw tables and models with catalog column types', async () => {
    const { status, body } = await get('/api/manifest')
    expect(status).toBe(200)
    const ids = body.nodes.map((n: { id: string }) => n.id).sort()
    expect(ids).toEqual([
      'model.actor_stats', 'model.film_ratings', 'model.stg_actors', 'model.stg_film_actors', 'model.stg_films',
      'source.raw.actors', 'source.raw.film_actors', 'source.raw.films',
      'upstream.public.actors', 'upstream.public.film_actors', 'upstream.public.films',
    ])
    const films = body.nodes.find((n: { id: string }) => n.id === 'source.raw.films')
    expect(films).toMatchObject({ kind: 'raw', parents: ['upstream.public.films'] })
    const ratings = body.nodes.find((n: { id: string }) => n.id === 'model.film_ratings')
    expect(ratings.columns).toEqual([
      { name: 'film_id', type: 'integer', description: 'The film.' },
      { name: 'title', type: 'text' },
      { name: 'rating_category', type: 'text' },
      { name: 'actor_count', type: 'bigint', description: 'Actors in the film.' },
    ])
    expect(ratings.compiledSql).toBeUndefined()
    expect(body.tests.map((t: { id: string }) => t.id).sort()).toEqual([
      'accepted_values_film_ratings_rating_category',
      'not_null_film_ratings_film_id',
      'relationships_stg_film_actors_film_id__film_id__stg_films',
      'unique_film_ratings_film_id',
    ])
  })
})

describe('GET /api/lineage', () => {
  it('selects with dbt syntax and lays the nodes out left to right', async () => {
    const { status, body } = await get(`/api/lineage?select=${encodeURIComponent('1+film_ratings+1')}`)
    expect(status).toBe(200)
    const byId = Object.fromEntries(body.nodes.map((n: { id: string }) => [n.id, n]))
    expect(Object.keys(byId).sort()).toEqual(['model.actor_stats', 'model.film_ratings', 'model.stg_actors', 'model.stg_film_actors', 'model.stg_films'])
    expect(byId['model.stg_films'].x).toBeLessThan(byId['model.film_ratings'].x)
    expect(byId['model.film_ratings'].x).toBeLessThan(byId['model.actor_stats'].x)
    expect(byId['model.film_ratings']).toMatchObject({ runStatus: 'success', testStatus: 'fail', testCount: 3 })
    expect(byId['model.actor_stats']).toMatchObject({ runStatus: 'error' })
    expect(body.total).toBe(11)
    expect(body.edges).toContainEqual({ from: 'model.stg_films', to: 'model.film_ratings', kind: 'ref' })
    // The relationships test stg_film_actors.film_id → stg_films.film_id is its own dashed edge.
    expect(body.edges).toContainEqual({ from: 'model.stg_films', to: 'model.stg_film_actors', kind: 'relationship' })
  })

  it('walks from source-database tables with source: and +', async () => {
    const { body } = await get(`/api/lineage?select=${encodeURIComponent('+source:raw.films+')}&exclude=actor_stats`)
    expect(body.nodes.map((n: { id: string }) => n.id).sort()).toEqual(['model.film_ratings', 'model.stg_films', 'source.raw.films', 'upstream.public.films'])
  })

  it('answers 400 naming a selector that matches nothing or uses an unknown method', async () => {
    const typo = await get(`/api/lineage?select=flim_ratings`)
    expect(typo.status).toBe(400)
    expect(typo.body.error).toContain('"flim_ratings" matches no node')
    const method = await get(`/api/lineage?select=${encodeURIComponent('colour:red')}`)
    expect(method.status).toBe(400)
    expect(method.body.error).toContain('unknown method "colour"')
  })
})

describe('GET /api/nodes/:id', () => {
  it('gives a model its tests with the last result, its last build and its history', async () => {
    const { status, body } = await get('/api/nodes/model.film_ratings')
    expect(status).toBe(200)
    expect(body.node).toMatchObject({ name: 'film_ratings', materialized: 'table', filePath: 'packages/models/src/film_ratings.ts', compiledSql: expect.stringContaining('select') })
    expect(body.tests.map((t: { id: string; status: string }) => [t.id, t.status])).toEqual([
      ['unique_film_ratings_film_id', 'fail'],
      ['accepted_values_film_ratings_rating_category', 'warn'],
      ['not_null_film_ratings_film_id', 'pass'],
    ])
    expect(body.lastRun).toMatchObject({ runId: runIds.newer, status: 'success', rows: 1000, seconds: 4.2 })
    expect(body.history.map((h: { runId: string }) => h.runId)).toEqual([runIds.newer, runIds.older])
    expect(body.parents.map((p: { name: string }) => p.name).sort()).toEqual(['stg_actors', 'stg_film_actors', 'stg_films'])
  })

  it('gives a raw table its load history', async () => {
    const { body } = await get('/api/nodes/source.raw.film_actors')
    expect(body.lastRun).toMatchObject({ status: 'success', rows: 5462, seconds: 1 })
    expect(body.history).toHaveLength(2)
  })

  it('answers 404 for unknown ids, and nothing in an id reaches SQL', async () => {
    const unknown = await get('/api/nodes/model.nope')
    expect(unknown).toEqual({ status: 404, body: { error: 'No node "model.nope" in the manifest.' } })
    const hostile = await get(`/api/nodes/${encodeURIComponent("x'; drop table _elt.runs; --")}`)
    expect(hostile.status).toBe(404)
    const run = await get(`/api/runs/${encodeURIComponent("1' or '1'='1")}`)
    expect(run.status).toBe(404)
    expect(await db.query('select count(*)::int as n from _elt.runs')).toEqual([{ n: 2 }])
  })
})

describe('GET /api/tests', () => {
  it('lists failures first with totals, fail rates and filters', async () => {
    const { body } = await get('/api/tests')
    expect(body.totals).toEqual({ error: 0, fail: 1, warn: 1, pass: 2, none: 0 })
    expect(body.tests.map((t: { id: string }) => t.id)).toEqual([
      'unique_film_ratings_film_id',
      'accepted_values_film_ratings_rating_category',
      'not_null_film_ratings_film_id',
      'relationships_stg_film_actors_film_id__film_id__stg_films',
    ])
    expect(body.tests[0]).toMatchObject({ status: 'fail', failures: 2, failRate: 0.5, history: [{ runId: runIds.newer, status: 'fail' }, { runId: runIds.older, status: 'pass' }] })
    const failing = await get('/api/tests?status=fail')
    expect(failing.body.tests.map((t: { id: string }) => t.id)).toEqual(['unique_film_ratings_film_id'])
    const byType = await get('/api/tests?type=relationships&model=stg_film_actors')
    expect(byType.body.tests).toHaveLength(1)
    const bad = await get('/api/tests?status=broken')
    expect(bad.status).toBe(400)
    expect(bad.body.error).toContain('Unknown test status "broken"')
  })

  it("gives the runner's fail rates: a warning counts, as in testStats over the same history", async () => {
    const { body } = await get('/api/tests')
    const shown = Object.fromEntries(body.tests.map((t: { id: string; failRate: number }) => [t.id, t.failRate]))
    expect(shown).toEqual({
      unique_film_ratings_film_id: 0.5, // fail, pass
      accepted_values_film_ratings_rating_category: 0.5, // warn, pass
      not_null_film_ratings_film_id: 0,
      relationships_stg_film_actors_film_id__film_id__stg_films: 0,
    })
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    try {
      expect(Object.fromEntries((await testStats(client)).map((s) => [s.testId, s.failRate]))).toEqual(shown)
    } finally {
      await client.end()
    }
  })

  it('expands a failing test to its sample and the SQL that reproduces it', async () => {
    const { body } = await get('/api/tests/unique_film_ratings_film_id')
    expect(body.failure).toMatchObject({ runId: runIds.newer, failures: 2, sampleColumns: ['film_id', 'n_records'], sample: [{ film_id: 7, n_records: 2 }, { film_id: 42, n_records: 3 }] })
    expect(body.sql).toBe('select * from "analytics"."film_ratings" where /* unique */ true')
    expect((await get('/api/tests/no_such_test')).status).toBe(404)
  })
})

describe('GET /api/runs', () => {
  it('lists runs newest first with counts of loads, models and tests', async () => {
    const { body } = await get('/api/runs')
    expect(body.map((r: { id: string }) => r.id)).toEqual([runIds.newer, runIds.older])
    expect(body[0]).toMatchObject({ status: 'error', seconds: 9, counts: { loads: { success: 3 }, models: { success: 4, error: 1 }, tests: { pass: 2, fail: 1, warn: 1 } } })
  })

  it('gives one run as a timeline with its critical path and slowest steps', async () => {
    const { status, body } = await get(`/api/runs/${runIds.newer}`)
    expect(status).toBe(200)
    expect(body.steps).toHaveLength(8)
    // film_ratings waited longest for stg_film_actors (done at 3.3 s), which waited for raw.film_actors.
    expect(body.criticalPath).toEqual(['raw.film_actors', 'stg_film_actors', 'film_ratings', 'actor_stats'])
    expect(body.slowest[0]).toEqual({ name: 'film_ratings', kind: 'model', seconds: 4.2, status: 'success' })
    expect(body.lanes).toBe(2)
    expect(body.spanMs).toBe(8000)
  })

  it('answers 404 for an unknown run', async () => {
    expect(await get('/api/runs/33333333-3333-4333-8333-333333333333')).toEqual({ status: 404, body: { error: 'No run "33333333-3333-4333-8333-333333333333".' } })
  })
})

describe('POST /api/runs', () => {
  const post = (headers: Record<string, string> = {}) => fetch(`${dashboard.url}/api/runs`, { method: 'POST', headers })

  it('requires the bearer token', async () => {
    expect((await post()).status).toBe(401)
    expect((await post({ authorization: 'Bearer wrong-token' })).status).toBe(401)
  })

  it('starts the run command with the right token', async () => {
    const response = await post({ authorization: 'Bearer test-token' })
    expect(response.status).toBe(202)
    const body = (await response.json()) as { run: { pid: number; command: string } }
    expect(body.run.pid).toBeGreaterThan(0)
    const file = path.join(triggerDir, 'triggered.txt')
    for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(await readFile(file, 'utf8')).toBe('ran')
  })

  it('is disabled without DASHBOARD_TOKEN', async () => {
    const other = await startDashboardServer({ source, select: selectNodes, logger: silentLogger, port: 0, trigger: { cwd: triggerDir } })
    try {
      const response = await fetch(`${other.url}/api/runs`, { method: 'POST', headers: { authorization: 'Bearer anything' } })
      expect(response.status).toBe(403)
      expect(await response.json()).toMatchObject({ error: 'Triggering runs is disabled.' })
    } finally {
      await other.close()
    }
  })
})

describe('the server', () => {
  it('serves only loopback Host names when bound to loopback (no DNS rebinding)', async () => {
    const statusFor = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${dashboard.url}/api/runs`, { headers: { host } }, (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        })
        req.on('error', reject)
        req.end()
      })
    expect(await statusFor('evil.example:3000')).toBe(403)
    expect(await statusFor(new URL(dashboard.url).host)).toBe(200)
    expect(await statusFor(`localhost:${new URL(dashboard.url).port}`)).toBe(200)
  })
})

describe('pnpm dashboard', () => {
  it('serves the warehouse named by the environment, with the manifest given by --manifest', async () => {
    const manifest = await writeManifest(filmManifest())
    const served = await startDashboardProcess(['--manifest', manifest], { SOURCE_DATABASE_URL: db.url, DESTINATION_DATABASE_URL: db.url, DASHBOARD_PORT: '1' })
    try {
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const runs = (await (await fetch(`${served.url}/api/runs`)).json()) as { id: string }[]
      expect(runs.map((run) => run.id)).toEqual([runIds.newer, runIds.older])
      expect((await fetch(`${served.url}/api/nodes/model.film_ratings`)).status).toBe(200)
    } finally {
      await served.stop()
    }
  })
})

describe('a warehouse nothing has run against yet', () => {
  it('answers runs and tests with nothing, and the lineage with 503 saying to build first', async () => {
    const empty = await createTestDatabase(inject('pgAdminUrl'), 'dashboard_empty')
    const fresh = warehouseSource({ destinationUrl: empty.url, manifestPath: path.join(triggerDir, 'no-such', 'manifest.json') })
    const server = await startDashboardServer({ source: fresh, select: selectNodes, logger: silentLogger, port: 0, trigger: { cwd: triggerDir } })
    try {
      const runs = await fetch(`${server.url}/api/runs`)
      expect([runs.status, await runs.json()]).toEqual([200, []])
      const lineage = await fetch(`${server.url}/api/lineage`)
      expect(lineage.status).toBe(503)
      expect(((await lineage.json()) as { error: string }).error).toMatch(/^No manifest at .*no-such\/manifest\.json and no run has recorded one .* `pnpm elt build`/)
      const page = await fetch(`${server.url}/runs`)
      expect(page.headers.get('content-type')).toContain('text/html')
      expect(await page.text()).toContain('<script type="module" src="/assets/app.js">')
    } finally {
      await server.close()
      await fresh.close()
      await empty.drop()
    }
  })
})

describe('runs whose process is gone', () => {
  it('shows a run left running by a dead process as abandoned, steps included, without writing; a live one stays running', async () => {
    const dead = '44444444-4444-4444-8444-444444444444'
    const live = '55555555-5555-4555-8555-555555555555'
    const holder = new pg.Client({ connectionString: db.url })
    await holder.connect()
    try {
      for (const id of [dead, live]) {
        await db.query(`insert into _elt.runs (run_id, command, status, started_at, pid, host) values ($1, 'replicate', 'running', '2026-11-20T06:00:00Z', 4242, 'etl-1')`, [id])
        await db.query(`insert into _elt.replications (run_id, source, target_schema, status, started_at) values ($1, 'source_db', 'raw', 'running', '2026-11-20T06:00:00Z')`, [id])
        await db.query(`insert into _elt.table_loads (run_id, source_table, target_table, status, started_at) values ($1, 'public.films', 'raw.films', 'running', '2026-11-20T06:00:01Z')`, [id])
      }
      await holdRunLock(holder, live) // the live run's process holds its liveness lock, as startRun does
      const { body } = await get('/api/runs')
      const statusOf = (id: string) => body.find((r: { id: string }) => r.id === id)?.status
      expect([statusOf(dead), statusOf(live)]).toEqual(['abandoned', 'running'])
      const detail = await get(`/api/runs/${dead}`)
      expect(detail.body).toMatchObject({ status: 'abandoned', counts: { loads: { abandoned: 1 } } })
      expect(detail.body.steps.map((s: { name: string; status: string }) => [s.name, s.status])).toEqual([['raw.films', 'abandoned']])
      expect((await get(`/api/runs/${live}`)).body.steps.map((s: { status: string }) => s.status)).toEqual(['running'])
      // read-only: the records are left for the next run to write
      expect(await db.query(`select status from _elt.runs where run_id = $1`, [dead])).toEqual([{ status: 'running' }])
    } finally {
      await holder.end()
      await db.query(`delete from _elt.replications where run_id = any($1::uuid[])`, [[dead, live]]) // and their table loads
      await db.query(`delete from _elt.runs where run_id = any($1::uuid[])`, [[dead, live]])
    }
  })
})

describe('a CSV source in the lineage', () => {
  it('shows the file as the upstream node of its raw table, both carrying the loader (source, kind csv, file)', async () => {
    const csvSource = warehouseSource({ destinationUrl: db.url, manifestPath: await writeManifest(filmManifestWithCsvSource()), manifestTtlSeconds: 0 })
    const server = await startDashboardServer({ source: csvSource, select: selectNodes, logger: silentLogger, port: 0, trigger: { cwd: triggerDir } })
    try {
      const fetchJson = async (pathAndQuery: string) => {
        const response = await fetch(server.url + pathAndQuery)
        expect(response.status, pathAndQuery).toBe(200)
        return (await response.json()) as any
      }
      const loader = { source: 'ticket_sales', kind: 'csv', from: 'source_db_init/ticket_sales.csv' }
      const raw = await fetchJson('/api/nodes/source.raw.ticket_sales')
      expect(raw.node).toMatchObject({ kind: 'raw', loader, parents: ['upstream.source_db_init/ticket_sales.csv'] })
      expect(raw.parents).toEqual([{ id: 'upstream.source_db_init/ticket_sales.csv', name: 'ticket_sales.csv', kind: 'source' }])
      const file = await fetchJson(`/api/nodes/${encodeURIComponent('upstream.source_db_init/ticket_sales.csv')}`)
      expect(file.node).toMatchObject({ kind: 'source', name: 'ticket_sales.csv', loader, parents: [] })
      expect(file.node.schema).toBeUndefined()
      expect(file.children).toEqual([{ id: 'source.raw.ticket_sales', name: 'ticket_sales', kind: 'raw' }])
      // a PostgreSQL source's table keeps its id and schema
      expect((await fetchJson('/api/nodes/source.raw.films')).node).toMatchObject({ loader: { source: 'postgres', kind: 'postgres', from: 'public.films' }, parents: ['upstream.public.films'] })
      const lineage = await fetchJson(`/api/lineage?select=${encodeURIComponent('+film_sales')}`)
      const kinds = Object.fromEntries(lineage.nodes.map((n: { id: string; kind: string; sourceKind?: string }) => [n.id, [n.kind, n.sourceKind]]))
      expect(kinds).toEqual({
        'upstream.source_db_init/ticket_sales.csv': ['source', 'csv'],
        'source.raw.ticket_sales': ['raw', undefined],
        'upstream.public.films': ['source', 'postgres'],
        'source.raw.films': ['raw', undefined],
        'model.stg_films': ['model', undefined],
        'model.film_sales': ['model', undefined],
      })
      // the CLI's source: selector works here too, from the loaders in the manifest
      const bySource = await fetchJson(`/api/lineage?select=${encodeURIComponent('source:ticket_sales+')}`)
      expect(bySource.nodes.map((n: { id: string }) => n.id).sort()).toEqual(['model.film_sales', 'source.raw.ticket_sales'])
    } finally {
      await server.close()
      await csvSource.close()
    }
  })
})
