import type {} from '@elt/core/testing/global-setup' // declares inject('pgAdminUrl')
import { silentLogger } from '@elt/core'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { warehouseSource } from '../src/data/warehouse-source.ts'
import type { DashboardSource } from '../src/data/dashboard-source.ts'
import { selectNodes } from '../src/lineage/select-nodes.ts'
import { startDashboardServer, type DashboardServer } from '../src/server/create-server.ts'
import { buildProject, type BuiltProject } from './fixtures/built-project.ts'
import { filmManifest, filmManifestWithCsvSource, runIds, seedFilmWarehouse, writeManifest } from './fixtures/film-warehouse.ts'
import { pixel, renders, shot, shots, useBrowser, waitForRenders } from './support/browser-session.ts'

/**
 * The UI in real headless Chromium driven by playwright-core (./support/browser-session.ts), over
 * recorded warehouses and this repository's built project; the scale runs are in
 * browser-scale.test.ts. Screenshots of every page land in apps/dashboard/test-results/.
 */

const browser = useBrowser()
let db: TestDatabase
const servers: DashboardServer[] = []
const sources: DashboardSource[] = []

async function serve(source: DashboardSource): Promise<string> {
  sources.push(source)
  const server = await startDashboardServer({ source, select: selectNodes, logger: silentLogger, port: 0, trigger: { cwd: shots } })
  servers.push(server)
  return server.url
}

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'dashboard_browser')
  await seedFilmWarehouse(db)
})
afterAll(async () => {
  for (const server of servers) await server.close()
  for (const source of sources) await source.close()
  await db?.drop()
})

describe('the dashboard over a recorded film project', () => {
  let page: Page
  let url: string
  beforeAll(async () => {
    url = await serve(warehouseSource({ destinationUrl: db.url, manifestPath: await writeManifest(filmManifest()) }))
    page = await browser().newPage({ viewport: { width: 1400, height: 850 } })
  })
  afterAll(() => page?.close())

  it('loads the lineage page', async () => {
    await page.goto(url + '/')
    await waitForRenders(page, 1)
    expect(await page.textContent('#lineage-status')).toContain('all 11 nodes')
    await shot(page, '01-lineage.png')
  })

  it('searches for film_ratings, opens its panel and shows its tests', async () => {
    await page.click('#search')
    await page.keyboard.type('film_ratings', { delay: 15 })
    await page.waitForSelector('#search-results li[data-node-id="model.film_ratings"]')
    const before = await renders(page)
    await page.keyboard.press('Enter')
    await page.waitForSelector('#node-panel [data-node-title="model.film_ratings"]')
    await waitForRenders(page, before + 1)
    await page.waitForSelector('#node-panel li[data-test-id="unique_film_ratings_film_id"]')
    expect(await page.textContent('#node-panel li[data-test-id="unique_film_ratings_film_id"]')).toContain('fail')
    expect(await page.textContent('#node-panel')).toContain('packages/models/src/film_ratings.ts')
    expect(await page.inputValue('#select')).toBe('1+film_ratings+1')
    expect(await page.evaluate(() => window.__dashboard.lastRender?.nodes)).toBe(5)
    await shot(page, '02-film-ratings-panel.png')
  })

  it('widens the upstream depth', async () => {
    const before = await renders(page)
    await page.click('#depth-up-more')
    await waitForRenders(page, before + 1)
    expect(await page.inputValue('#select')).toBe('2+film_ratings+1')
    expect(page.url()).toContain('select=2%2Bfilm_ratings%2B1')
    // film_ratings, actor_stats, three staging models and the three raw tables they read.
    expect(await page.evaluate(() => window.__dashboard.lastRender?.nodes)).toBe(8)
    await shot(page, '03-depth-2-up.png')
    // Each selection is a history entry: Back shows the previous one, Forward this one again.
    await page.goBack()
    await page.waitForFunction(() => (document.querySelector('#select') as HTMLInputElement | null)?.value === '1+film_ratings+1')
    await page.goForward()
    await page.waitForFunction(() => (document.querySelector('#select') as HTMLInputElement | null)?.value === '2+film_ratings+1')
    await page.waitForSelector('#node-panel [data-node-title="model.film_ratings"]')
  })

  it('switches the colouring to the worst test status, with its legend', async () => {
    await page.selectOption('#colour-mode', 'test')
    await page.waitForSelector('.legend[data-mode="test"]')
    expect(await page.textContent('.legend')).toContain('fail')
    expect(page.url()).toContain('color=test')
    await page.waitForTimeout(100)
    const box = await page.evaluate(() => window.__dashboard.canvas!.screenRect('model.film_ratings'))
    // The node's colour stripe is red: its unique test failed in the last run.
    expect(await pixel(page, box!.x + 3, box!.y + box!.height / 2)).toBe('#dc2626')
    await shot(page, '04-colour-by-tests.png')
  })

  it('says what is wrong with a bad selector and keeps the graph', async () => {
    const before = await renders(page)
    await page.fill('#select', 'flim_ratings+')
    await page.press('#select', 'Enter')
    await waitForRenders(page, before + 1)
    expect(await page.getAttribute('#lineage-status', 'class')).toContain('error')
    expect(await page.textContent('#lineage-status')).toContain('The selector "flim_ratings+" matches no node.')
    expect(page.url()).toContain('select=flim_ratings%2B')
    await shot(page, '05-bad-selector.png')
  })

  it('opens the tests page and expands a failing test with its sample', async () => {
    await page.click('a[data-nav="tests"]')
    await page.waitForSelector('#tests-table tbody tr[data-test-id]')
    const first = await page.getAttribute('#tests-table tbody tr[data-test-id]', 'data-test-id')
    expect(first).toBe('unique_film_ratings_film_id')
    expect(await page.textContent('#test-totals')).toContain('1 fail')
    await page.click('tr[data-test-id="unique_film_ratings_film_id"]')
    await page.waitForSelector('tr[data-detail-for="unique_film_ratings_film_id"] table.sample')
    const sample = await page.$$eval('tr[data-detail-for="unique_film_ratings_film_id"] table.sample tbody tr', (rows) => rows.map((row) => row.textContent))
    expect(sample).toEqual(['72', '423'])
    expect(await page.textContent('tr[data-detail-for="unique_film_ratings_film_id"] pre.sql')).toContain('"analytics"."film_ratings"')
    expect(await page.textContent('tr[data-detail-for="unique_film_ratings_film_id"]')).toContain('fail rate 50 %')
    await shot(page, '06-tests-failing-sample.png')
    // Filters narrow the list and stay in the URL.
    await page.selectOption('#filter-status', 'pass')
    expect(await page.$$eval('#tests-table tbody tr[data-test-id]', (rows) => rows.map((row) => row.getAttribute('data-test-id')))).toEqual([
      'not_null_film_ratings_film_id',
      'relationships_stg_film_actors_film_id__film_id__stg_films',
    ])
    expect(page.url()).toContain('/tests?status=pass')
    await page.selectOption('#filter-type', 'relationships')
    expect(await page.$$eval('#tests-table tbody tr[data-test-id]', (rows) => rows.length)).toBe(1)
    expect(await page.textContent('.filters')).toContain('1 of 4 tests')
  })

  it("opens a run's timeline", async () => {
    await page.click('a[data-nav="runs"]')
    await page.waitForSelector(`#runs-table tr[data-run-id="${runIds.newer}"]`)
    await shot(page, '07-runs.png')
    // a run that failed in several places (see combinedFailure) says each on a line of its own
    const message = '2 parts of the replication failed (the others ran):\n  public.orders changed in a way raw.orders cannot follow by merging.\n  The cdc table public.nopk has no primary key.'
    await db.query('update _elt.runs set message = $1 where run_id = $2', [message, runIds.newer])
    await page.click(`#runs-table tr[data-run-id="${runIds.newer}"] a`)
    await page.waitForSelector('#gantt svg .bar')
    expect((await page.innerText('.run-message')).split('\n')).toEqual(['2 parts of the replication failed (the others ran):', 'public.orders changed in a way raw.orders cannot follow by merging.', 'The cdc table public.nopk has no primary key.'])
    expect(await page.$$eval('#gantt .bar', (bars) => bars.length)).toBe(8)
    expect(await page.$$eval('#gantt .bar.critical', (bars) => bars.map((bar) => bar.getAttribute('data-step')))).toEqual(['raw.film_actors', 'stg_film_actors', 'film_ratings', 'actor_stats'])
    expect(await page.$$eval('#critical-path li', (items) => items.map((item) => item.textContent))).toEqual(['raw.film_actors', 'stg_film_actors', 'film_ratings', 'actor_stats'])
    expect(await page.textContent('#slowest')).toContain('film_ratings')
    await shot(page, '08-run-timeline.png')
  })
})

describe('a CSV source', () => {
  it('draws the file as an upstream node coloured by its kind, with its loader in the side panel', async () => {
    const url = await serve(warehouseSource({ destinationUrl: db.url, manifestPath: await writeManifest(filmManifestWithCsvSource()) }))
    const page = await browser().newPage({ viewport: { width: 1400, height: 850 } })
    try {
      await page.goto(`${url}/?select=${encodeURIComponent('+film_sales')}`)
      await waitForRenders(page, 1)
      expect(await page.evaluate(() => window.__dashboard.lastRender?.nodes)).toBe(6)
      expect(await page.textContent('.legend[data-mode="kind"]')).toContain('source file (CSV)')
      await page.waitForTimeout(100)
      const file = await page.evaluate(() => window.__dashboard.canvas!.screenRect('upstream.source_db_init/ticket_sales.csv'))
      const table = await page.evaluate(() => window.__dashboard.canvas!.screenRect('upstream.public.films'))
      expect(await pixel(page, file!.x + 3, file!.y + file!.height / 2)).toBe('#d97706')
      expect(await pixel(page, table!.x + 3, table!.y + table!.height / 2)).toBe('#64748b')
      await shot(page, '12-csv-source-lineage.png')
      await page.mouse.click(file!.x + file!.width / 2, file!.y + file!.height / 2)
      await page.waitForSelector('#node-panel [data-node-title="upstream.source_db_init/ticket_sales.csv"]')
      expect(await page.textContent('#node-panel [data-source-kind]')).toBe('csv')
      expect(await page.textContent('#node-panel [data-loader="ticket_sales"]')).toBe('source "ticket_sales" (csv) from source_db_init/ticket_sales.csv')
      await shot(page, '13-csv-source-panel.png')
    } finally {
      await page.close()
    }
  })
})

describe("this repository's project, replicated, built and tested", () => {
  let page: Page
  let url: string
  let project: BuiltProject
  beforeAll(async () => {
    project = await buildProject(inject('pgAdminUrl'))
    url = await serve(warehouseSource({ destinationUrl: project.destination.url, manifestPath: project.manifestPath }))
    page = await browser().newPage({ viewport: { width: 1400, height: 850 } })
  }, 240_000)
  afterAll(async () => {
    await page?.close()
    await project?.drop()
  })

  it("shows film_ratings' lineage and panel with its tests", async () => {
    await page.goto(url + '/')
    await waitForRenders(page, 1)
    await page.click('#search')
    await page.keyboard.type('film_ratings')
    await page.waitForSelector('#search-results li[data-node-id="model.film_ratings"]')
    const before = await renders(page)
    await page.keyboard.press('Enter')
    await waitForRenders(page, before + 1)
    await page.waitForSelector('#node-panel li[data-test-id]')
    expect(await page.$$eval('#node-panel li[data-test-id]', (items) => items.length)).toBeGreaterThanOrEqual(2)
    const widened = await renders(page)
    await page.click('#depth-up-more')
    await page.click('#depth-up-more')
    await waitForRenders(page, widened + 2)
    expect(await page.inputValue('#select')).toBe('3+film_ratings+1')
    await shot(page, '09-project-film-ratings.png')
  })

  it("clicking a column of film_ratings highlights its column lineage back to the source table", async () => {
    const highlights = () => page.evaluate(() => window.__dashboard.columnHighlights)
    const before = await highlights()
    await page.click('#node-panel button[data-column="avg_actor_rating"]')
    await page.waitForFunction((n) => window.__dashboard.columnHighlights > n, before)
    const status = await page.textContent('#column-status')
    expect(status).toContain('column film_ratings.avg_actor_rating:')
    // the whole path: film_ratings ← int_actor_ratings ← stg_films ← raw.films ← public.films, and what uses it downstream
    const path = await page.evaluate(async () => {
      const response = await fetch('/api/columns/model.film_ratings/avg_actor_rating/lineage?direction=up')
      return (await response.json()) as { columns: { node: string; column: string }[]; edges: { from: { node: string }; to: { node: string }; kind: string }[] }
    })
    expect(path.columns.map((c) => `${c.node}.${c.column}`)).toEqual([
      'model.film_ratings.avg_actor_rating',
      'model.int_actor_ratings.avg_user_rating',
      'model.stg_films.user_rating',
      'source.raw.films.user_rating',
      'upstream.public.films.user_rating',
    ])
    expect(path.edges.map((e) => e.kind)).toEqual(['derived', 'derived', 'direct', 'direct'])
    // the path's nodes come into view (the focused view shows one level), then the rows are drawn inside them
    if (await page.$('#show-column-path')) {
      const shown = await highlights()
      await page.click('#show-column-path')
      await page.waitForFunction((n) => window.__dashboard.columnHighlights > n, shown)
    }
    expect(await page.textContent('#column-status')).not.toContain('not in this view')
    expect(await page.getAttribute('#node-panel tr.column-highlighted button', 'data-column')).toBe('avg_actor_rating')
    expect(page.url()).toContain('column=avg_actor_rating')
    // drawn: the highlighted row's fill inside film_ratings
    const box = (await page.evaluate(() => window.__dashboard.canvas!.screenRect('model.film_ratings')))!
    const colours = await page.evaluate(
      ([x, y, w, h]) => {
        const canvas = document.querySelector('canvas')!
        const rect = canvas.getBoundingClientRect()
        const ratio = canvas.width / rect.width
        const data = canvas.getContext('2d')!.getImageData(Math.round((x! - rect.left) * ratio), Math.round((y! - rect.top) * ratio), Math.round(w! * ratio), Math.round(h! * ratio)).data
        const found = new Set<string>()
        for (let i = 0; i < data.length; i += 4) found.add('#' + [data[i], data[i + 1], data[i + 2]].map((v) => v!.toString(16).padStart(2, '0')).join(''))
        return [...found]
      },
      [box.x, box.y + box.height, box.width, box.height * 2],
    )
    expect(colours).toContain('#bae6fd') // the clicked column's row
    await shot(page, '16-project-column-lineage.png')
  })

  it('lists its tests and draws its build as a timeline', async () => {
    await page.click('a[data-nav="tests"]')
    await page.waitForSelector('#tests-table tbody tr[data-test-id]')
    await shot(page, '10-project-tests.png')
    await page.click('a[data-nav="runs"]')
    await page.waitForSelector('#runs-table tr[data-run-id]')
    // Newest first: test, then the run.
    await page.click('#runs-table tbody tr:nth-child(2) a')
    await page.waitForSelector('#gantt svg .bar')
    expect(await page.$$eval('#gantt .bar', (bars) => bars.length)).toBeGreaterThanOrEqual(5)
    await shot(page, '11-project-build-timeline.png')
  })
})
