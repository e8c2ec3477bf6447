import type {} from '@elt/core/testing/global-setup' // declares inject('pgAdminUrl')
import { readFile } from 'node:fs/promises'
import { silentLogger } from '@elt/core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { warehouseSource } from '../src/data/warehouse-source.ts'
import { selectNodes } from '../src/lineage/select-nodes.ts'
import { startDashboardServer, type DashboardServer } from '../src/server/create-server.ts'
import { buildProject, type BuiltProject } from './fixtures/built-project.ts'

/** The dashboard's API over this repository's models, replicated, built and tested by the CLI. */
let project: BuiltProject
let dashboard: DashboardServer
let warehouse: ReturnType<typeof warehouseSource>

beforeAll(async () => {
  project = await buildProject(inject('pgAdminUrl'))
  warehouse = warehouseSource({ destinationUrl: project.destination.url, manifestPath: project.manifestPath })
  dashboard = await startDashboardServer({ source: warehouse, select: selectNodes, logger: silentLogger, port: 0, trigger: { cwd: project.projectDir } })
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

describe('the dashboard over a replicated, built and tested project', () => {
  it('replicated and built it', () => {
    expect(project.exitCodes.replicate).toBe(0)
    expect(project.exitCodes.build).toBe(0)
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

  it('lists the three runs and draws the replication and the build as timelines', async () => {
    const { body: runs } = await get('/api/runs')
    expect(runs.map((r: { command: string }) => r.command)).toEqual(['test', 'build', 'replicate'])
    const replicate = (await get(`/api/runs/${runs[2].id}`)).body
    expect(replicate.steps.filter((s: { kind: string }) => s.kind === 'load').length).toBeGreaterThanOrEqual(5)
    const build = (await get(`/api/runs/${runs[1].id}`)).body
    const models = build.steps.filter((s: { kind: string }) => s.kind === 'model')
    expect(models.map((s: { name: string }) => s.name)).toEqual(expect.arrayContaining(['stg_films', 'film_ratings']))
    expect(build.criticalPath.length).toBeGreaterThanOrEqual(2)
    // A bar per model that ran: every model of the manifest but the ephemeral ones (inlined into others).
    const manifest = JSON.parse(await readFile(project.manifestPath, 'utf8')) as { nodes: Record<string, { kind: string; materialized: string | null }> }
    const ran = Object.values(manifest.nodes).filter((node) => node.kind === 'model' && node.materialized !== 'ephemeral')
    expect(models).toHaveLength(ran.length)
    expect(models.every((s: { status: string }) => s.status === 'success')).toBe(true)
  })
})
