import type {} from '@elt/core/testing/global-setup' // declares inject('pgAdminUrl')
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { silentLogger } from '@elt/core'
import manifestSchema from '@elt/runner/schemas/manifest.schema.json' with { type: 'json' }
import { Ajv } from 'ajv'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { warehouseSource } from '../src/data/warehouse-source.ts'
import { selectNodes } from '../src/lineage/select-nodes.ts'
import { startDashboardServer, type DashboardServer } from '../src/server/create-server.ts'
import { buildProject, repoRoot, type BuiltProject } from './fixtures/built-project.ts'

/** The dashboard's API over this repository's models, replicated, built and tested by the CLI. */
let project: BuiltProject
let dashboard: DashboardServer
let warehouse: ReturnType<typeof warehouseSource>

beforeAll(async () => {
  project = await buildProject(inject('pgAdminUrl'))
  warehouse = warehouseSource({ destinationUrl: project.destination.url, manifestPath: project.manifestPath })
  dashboard = await startDashboardServer({
    source: warehouse,
    select: selectNodes,
    logger: silentLogger,
    port: 0,
    trigger: {
      token: 'let-me-run',
      cwd: project.projectDir,
      // `pnpm elt run --json` without pnpm's script lookup, which needs the repository as cwd (and would write its target/).
      command: [process.execPath, '--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, path.join(repoRoot, 'apps', 'cli', 'src', 'main.ts'), 'run', '--json'],
      env: { ...process.env, SOURCE_DATABASE_URL: project.source.url, DESTINATION_DATABASE_URL: project.destination.url },
    },
  })
}, 240_000)
afterAll(async () => {
  await dashboard?.close()
  await warehouse?.close()
  await project?.drop()
})

/** The tests the CLI ran: the test nodes of target/manifest.json and the results it recorded. */
async function declaredTests(): Promise<{ id: string; type: string; nodeId: string; model?: string }[]> {
  const manifest = JSON.parse(await readFile(project.manifestPath, 'utf8')) as { nodes: Record<string, any> }
  const tests = new Map<string, { id: string; type: string; nodeId: string; model?: string }>()
  for (const node of Object.values(manifest.nodes)) if (node.kind === 'test') tests.set(node.name, { id: node.name, type: node.test_type, nodeId: node.tested_node })
  const recorded = await project.destination.query<{ id: string; type: string; nodeId: string; model: string }>(
    `select distinct test_id as id, test_type as type, node_id as "nodeId", model from _elt.test_results`,
  )
  for (const test of recorded) tests.set(test.id, test)
  return [...tests.values()]
}

const get = async (pathAndQuery: string) => {
  const response = await fetch(dashboard.url + pathAndQuery)
  return { status: response.status, body: (await response.json()) as any }
}

describe('GET /api/columns/:node/:column/lineage', () => {
  it('upstream: a column back to the source table it was replicated from, edge by edge', async () => {
    const { status, body } = await get('/api/columns/model.film_ratings/rating_category/lineage?direction=up')
    expect(status).toBe(200)
    expect(body).toMatchObject({ node: 'model.film_ratings', column: 'rating_category', direction: 'up', depth: null })
    expect(body.edges).toEqual([
      { from: { node: 'model.stg_films', column: 'user_rating' }, to: { node: 'model.film_ratings', column: 'rating_category' }, kind: 'derived' },
      { from: { node: 'source.raw.films', column: 'user_rating' }, to: { node: 'model.stg_films', column: 'user_rating' }, kind: 'direct' },
      { from: { node: 'upstream.public.films', column: 'user_rating' }, to: { node: 'source.raw.films', column: 'user_rating' }, kind: 'direct' },
    ])
  })

  it('downstream with a depth: the columns computed from it and the models it filters, one hop', async () => {
    const { status, body } = await get('/api/columns/model.stg_film_actors/film_id/lineage?direction=down&depth=1')
    expect(status).toBe(200)
    const edges = body.edges.map((e: { to: { node: string; column: string | null }; kind: string }) => `${e.to.node}.${e.to.column ?? '*'} ${e.kind}`)
    // film_ratings only joins and groups on it
    expect(edges).toContain('model.film_ratings.* filter')
    expect(edges.every((e: string) => !e.startsWith('model.film_ratings.film_id'))).toBe(true)
  })

  it('a bad direction or depth is 400, an unknown node or column 404', async () => {
    expect((await get('/api/columns/model.film_ratings/title/lineage?direction=sideways')).status).toBe(400)
    expect((await get('/api/columns/model.film_ratings/title/lineage?depth=0')).status).toBe(400)
    expect((await get('/api/columns/model.nope/title/lineage')).status).toBe(404)
    const missing = await get('/api/columns/model.film_ratings/nope/lineage')
    expect(missing.status).toBe(404)
    expect(missing.body.error).toContain('column "nope" of model.film_ratings')
  })
})

describe('the dashboard over a replicated, built and tested project', () => {
  it('ran it', () => {
    expect(project.exitCodes.run).toBe(0)
  })

  it('shows film_ratings fed by the source tables through raw and staging', async () => {
    const { status, body } = await get(`/api/lineage?select=${encodeURIComponent('+film_ratings')}`)
    expect(status).toBe(200)
    const ids: string[] = body.nodes.map((n: { id: string }) => n.id)
    expect(ids).toEqual(expect.arrayContaining(['model.film_ratings', 'model.stg_films', 'source.raw.films', 'upstream.public.films']))
    const byId = Object.fromEntries(body.nodes.map((n: { id: string; x: number }) => [n.id, n]))
    expect(byId['upstream.public.films'].x).toBeLessThan(byId['source.raw.films'].x)
    expect(byId['source.raw.films'].x).toBeLessThan(byId['model.stg_films'].x)
    expect(byId['model.film_ratings']).toMatchObject({ runStatus: 'success' })
  })

  it('shows the CSV source: its file upstream of raw.ticket_sales, the loader from the manifest, its load as the last build', async () => {
    const { body } = await get('/api/nodes/source.raw.ticket_sales')
    const loader = { source: 'ticket_sales', kind: 'csv', from: path.join(repoRoot, 'source_db_init/ticket_sales.csv') }
    expect(body.node).toMatchObject({ kind: 'raw', loader })
    expect(body.parents).toEqual([{ id: `upstream.${loader.from}`, name: 'ticket_sales.csv', kind: 'source' }])
    expect(body.children).toEqual([{ id: 'model.stg_ticket_sales', name: 'stg_ticket_sales', kind: 'model' }])
    expect(body.node.columns.find((c: { name: string }) => c.name === 'sold_at').type).toBe('timestamp with time zone')
    expect(body.lastRun).toMatchObject({ status: 'success', rows: 5000 })
    const { body: lineage } = await get(`/api/lineage?select=${encodeURIComponent('source:ticket_sales+')}`)
    expect(lineage.nodes.map((n: { id: string }) => n.id).sort()).toEqual(['model.film_sales', 'model.stg_ticket_sales', 'source.raw.ticket_sales'])
    const { body: films } = await get('/api/nodes/source.raw.films')
    expect(films.node.loader).toEqual({ source: 'postgres', kind: 'postgres', from: 'public.films' })
  })

  it("gives film_ratings' panel its typed columns, tests with results, file and SQL", async () => {
    const { body } = await get('/api/nodes/model.film_ratings')
    expect(body.node.columns.map((c: { name: string }) => c.name).slice(0, 3)).toEqual(['film_id', 'title', 'release_date'])
    expect(body.node.columns.find((c: { name: string }) => c.name === 'actor_count').type).toBe('bigint')
    expect(body.node.compiledSql).toMatch(/select/i)
    expect(body.node.filePath).toMatch(/film-ratings\.ts$/)
    // Its column and model tests, and custom tests reading it (they have their own node id).
    const declared = (await declaredTests()).filter((t) => t.nodeId === 'model.film_ratings' || (t.type === 'custom' && t.model === 'film_ratings'))
    expect(declared.length).toBeGreaterThanOrEqual(2)
    expect(body.tests.map((t: { id: string }) => t.id).sort()).toEqual(declared.map((t) => t.id).sort())
    expect(body.tests.every((t: { status: string }) => t.status !== 'none')).toBe(true)
    expect(body.lastRun).toMatchObject({ status: 'success' })
    expect(body.lastRun.rows).toBeGreaterThan(0)
  })

  it('lists every test of the manifest with its latest result, and relationships as dashed edges', async () => {
    const declared = await declaredTests()
    expect(declared.length).toBeGreaterThanOrEqual(10)
    const { body } = await get('/api/tests')
    expect(body.tests.map((t: { id: string }) => t.id).sort()).toEqual(declared.map((t) => t.id).sort())
    expect(body.totals.none).toBe(0)
    const { body: lineage } = await get('/api/lineage')
    const dashedInto = new Set(lineage.edges.filter((e: { kind: string }) => e.kind === 'relationship').map((e: { to: string }) => e.to))
    const checked = new Set(declared.filter((t) => t.type === 'relationships').map((t) => t.nodeId))
    expect(dashedInto).toEqual(checked)
  })

  it('wrote a target/manifest.json, test nodes included, that matches its JSON Schema', async () => {
    const manifest = JSON.parse(await readFile(project.manifestPath, 'utf8')) as { nodes: Record<string, { kind: string }> }
    expect(Object.values(manifest.nodes).filter((node) => node.kind === 'test').length).toBeGreaterThanOrEqual(10)
    const ajv = new Ajv({ allErrors: true, validateFormats: false })
    expect(ajv.validate(manifestSchema, manifest), JSON.stringify(ajv.errors)).toBe(true)
  })

  it("shows each relationships test's parent model and column, as the runner wrote them", async () => {
    const { body } = await get('/api/manifest')
    const relationships = body.tests.filter((t: { type: string }) => t.type === 'relationships')
    expect(relationships.length).toBeGreaterThanOrEqual(3)
    expect(relationships.find((t: { id: string }) => t.id === 'relationships_stg_film_actors_actor_id__actor_id__stg_actors')).toMatchObject({
      nodeId: 'model.stg_film_actors',
      column: 'actor_id',
      references: { nodeId: 'model.stg_actors', column: 'actor_id' },
    })
    expect(relationships.every((t: { references?: { column?: string } }) => typeof t.references?.column === 'string')).toBe(true)
  })

  it('lists the runs and draws the run as one timeline of loads and models', async () => {
    const { body: runs } = await get('/api/runs')
    expect(runs.map((r: { command: string }) => r.command)).toEqual(['test', 'run'])
    const run = (await get(`/api/runs/${runs[1].id}`)).body
    const loads = run.steps.filter((s: { kind: string }) => s.kind === 'load')
    expect(loads.length).toBeGreaterThanOrEqual(5)
    expect(run.counts.loads.success).toBe(loads.length)
    const models = run.steps.filter((s: { kind: string }) => s.kind === 'model')
    expect(models.map((s: { name: string }) => s.name)).toEqual(expect.arrayContaining(['stg_films', 'film_ratings']))
    // The chain of waits starts with a table load and ends with a model.
    expect(run.criticalPath[0]).toMatch(/^raw\./)
    expect(models.map((s: { name: string }) => s.name)).toContain(run.criticalPath.at(-1))
    expect(run.counts.tests.pass).toBeGreaterThanOrEqual(10)
    // A bar per model that ran: every model of the manifest but the ephemeral ones (inlined into others).
    const manifest = JSON.parse(await readFile(project.manifestPath, 'utf8')) as { nodes: Record<string, { kind: string; materialized: string | null }> }
    const ran = Object.values(manifest.nodes).filter((node) => node.kind === 'model' && node.materialized !== 'ephemeral')
    expect(models).toHaveLength(ran.length)
    expect(models.every((s: { status: string }) => s.status === 'success')).toBe(true)
    // Every test ran twice (in the run, then alone): two results each.
    const { body: tests } = await get('/api/tests')
    expect(tests.tests.every((t: { history: unknown[] }) => t.history.length === 2)).toBe(true)
  })

  it('starts a real run on POST /api/runs and lists it when it is done', async () => {
    const before = (await get('/api/runs')).body.length
    const response = await fetch(`${dashboard.url}/api/runs`, { method: 'POST', headers: { authorization: 'Bearer let-me-run' } })
    expect(response.status).toBe(202)
    let runs: { command: string; status: string }[] = []
    for (const deadline = Date.now() + 90_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 250))) {
      runs = (await get('/api/runs')).body
      if (runs.length > before && runs[0]!.status !== 'running') break
    }
    expect(runs).toHaveLength(before + 1)
    expect(runs[0]).toMatchObject({ command: 'run', status: 'success' })
  }, 120_000)
})
