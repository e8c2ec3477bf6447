import type {} from '@elt/core/testing/global-setup' // declares inject('pgAdminUrl')
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { silentLogger } from '@elt/core'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { warehouseSource } from '../src/data/warehouse-source.ts'
import { selectNodes } from '../src/lineage/select-nodes.ts'
import { startDashboardServer, type DashboardServer } from '../src/server/create-server.ts'
import { filmManifest, seedFilmWarehouse, writeManifest } from './fixtures/film-warehouse.ts'

let db: TestDatabase
let dashboard: DashboardServer
let source: ReturnType<typeof warehouseSource>
let triggerDir: string
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'dashboard_assets')
  await seedFilmWarehouse(db)
  source = warehouseSource({ destinationUrl: db.url, manifestPath: await writeManifest(filmManifest()) })
  triggerDir = await mkdtemp(path.join(tmpdir(), 'elt-assets-'))
  dashboard = await startDashboardServer({ source, select: selectNodes, logger: silentLogger, port: 0, trigger: { cwd: triggerDir } })
})
afterAll(async () => {
  await dashboard?.close()
  await source?.close()
  await db?.drop()
  await rm(triggerDir, { recursive: true, force: true })
})

const get = async (pathname: string) => {
  const response = await fetch(dashboard.url + pathname)
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() }
}

describe('the dashboard’s files', () => {
  it('serves the script and the stylesheet', async () => {
    const script = await get('/assets/app.js')
    expect([script.status, script.type]).toEqual([200, 'text/javascript; charset=utf-8'])
    expect(script.body).not.toContain('<!doctype html>')
    const style = await get('/assets/app.css')
    expect([style.status, style.type]).toEqual([200, 'text/css; charset=utf-8'])
  })

  it('answers 404 for an unknown file under /assets/, not the index page', async () => {
    for (const pathname of ['/assets/nope.js', '/assets/app.js.map', '/assets/', '/assets/app.js/x']) {
      const response = await get(pathname)
      expect({ pathname, status: response.status, body: response.body }).toEqual({ pathname, status: 404, body: JSON.stringify({ error: `No file ${pathname}.` }) })
    }
    const page = await get('/runs/anything') // a UI route: the HTML shell
    expect([page.status, page.type]).toEqual([200, 'text/html; charset=utf-8'])
    expect(page.body).toContain('<script type="module" src="/assets/app.js">')
  })
})
