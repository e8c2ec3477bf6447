import type {} from '@elt/core/testing/global-setup' // declares inject('pgAdminUrl')
import { silentLogger } from '@elt/core'
import { createTestDatabase, stallingProxy, type StallingProxy, type TestDatabase } from '@elt/core/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { warehouseSource } from '../src/data/warehouse-source.ts'
import { selectNodes } from '../src/lineage/select-nodes.ts'
import { startDashboardServer, type DashboardServer } from '../src/server/create-server.ts'
import { filmManifest, seedFilmWarehouse, writeManifest } from './fixtures/film-warehouse.ts'

let db: TestDatabase
let proxy: StallingProxy
let source: ReturnType<typeof warehouseSource>
let dashboard: DashboardServer
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'dashboard_stall')
  await seedFilmWarehouse(db)
  proxy = await stallingProxy(db.url)
  source = warehouseSource({ destinationUrl: proxy.url(db.url), manifestPath: await writeManifest(filmManifest()), queryTimeoutSeconds: 1 })
  dashboard = await startDashboardServer({ source, select: selectNodes, logger: silentLogger, port: 0, trigger: { cwd: process.cwd() } /* no token: triggering disabled */ })
})
afterAll(async () => {
  await dashboard?.close()
  proxy?.destroy()
  await source?.close()
  await db?.drop()
})

describe('the dashboard, its pooled connection gone silent', () => {
  it('answers 503 saying so within the query timeout, drops that connection, and the next request works', async () => {
    const runs = async () => {
      const response = await fetch(`${dashboard.url}/api/runs`)
      return { status: response.status, body: (await response.json()) as { error?: string } | unknown[] }
    }
    const before = await runs()
    expect(before.status).toBe(200)
    expect((before.body as unknown[]).length).toBeGreaterThan(0)
    proxy.cut() // the pool's idle connection stops passing bytes; new connections work
    const started = performance.now()
    const stalled = await runs()
    expect(performance.now() - started).toBeLessThan(5000)
    expect(stalled).toEqual({ status: 503, body: { error: expect.stringMatching(/^The destination did not answer a query within 1 s\. Check the connection to the destination/) } })
    const after = await runs()
    expect(after).toEqual(before)
  })
})
