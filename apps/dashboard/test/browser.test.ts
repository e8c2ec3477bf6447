import type {} from '@elt/core/testing/global-setup' // declares inject('pgAdminUrl')
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { silentLogger } from '@elt/core'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { warehouseSource } from '../src/data/warehouse-source.ts'
import type { DashboardSource } from '../src/data/dashboard-source.ts'
import { selectNodes } from '../src/lineage/select-nodes.ts'
import { startDashboardServer, type DashboardServer } from '../src/server/create-server.ts'
import { buildProject, type BuiltProject } from './fixtures/built-project.ts'
import { startDashboardProcess } from './fixtures/dashboard-process.ts'
import { filmManifest, filmManifestWithCsvSource, runIds, seedFilmWarehouse, writeManifest } from './fixtures/film-warehouse.ts'
import { launchChromium } from './support/launch-chromium.ts'

/**
 * The UI in real headless Chromium driven by playwright-core: `CHROMIUM_PATH`, a system Chromium,
 * or the one inside the `@sparticuz/chromium` package (see ./support/launch-chromium.ts); a
 * browser that cannot start fails every test here with its cause. Screenshots of every page land
 * in apps/dashboard/test-results/.
 */
const shots = path.join(import.meta.dirname, '..', 'test-results')

let db: TestDatabase
let browser: Browser
const servers: DashboardServer[] = []
const sources: DashboardSource[] = []

async function serve(source: DashboardSource): Promise<string> {
  sources.push(source)
  const server = await startDashboardServer({ source, select: selectNodes, logger: silentLogger, port: 0, trigger: { cwd: shots } })
  servers.push(server)
  return server.url
}

beforeAll(async () => {
  await mkdir(shots, { recursive: true })
  db = await createTestDatabase(inject('pgAdminUrl'), 'dashboard_browser')
  await seedFilmWarehouse(db)
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
  for (const server of servers) await server.close()
  for (const source of sources) await source.close()
  await db?.drop()
})

const renders = (page: Page) => page.evaluate(() => Number(document.body.dataset.lineageRenders ?? 0))
const waitForRenders = (page: Page, count: number) => page.waitForFunction((n) => Number(document.body.dataset.lineageRenders ?? 0) >= n, count)
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, name) })

/** The colour drawn at a point of the canvas, as #rrggbb. */
const pixel = (page: Page, x: number, y: number) =>
  page.evaluate(
    ([x, y]) => {
      const canvas = document.querySelector('canvas')!
      const rect = canvas.getBoundingClientRect()
      const ratio = canvas.width / rect.width
      const [r, g, b] = canvas.getContext('2d')!.getImageData(Math.round((x! - rect.left) * ratio), Math.round((y! - rect.top) * ratio), 1, 1).data
      return '#' + [r, g, b].map((v) => v!.toString(16).padStart(2, '0')).join('')
    },
    [x, y],
  )

describe('the dashboard over a recorded film project', () => {
  let page: Page
  let url: string
  beforeAll(async () => {
    url = await serve(warehouseSource({ destinationUrl: db.url, manifestPath: await writeManifest(filmManifest()) }))
    page = await browser.newPage({ viewport: { width: 1400, height: 850 } })
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
    await page.click(`#runs-table tr[data-run-id="${runIds.newer}"] a`)
    await page.waitForSelector('#gantt svg .bar')
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
    const page = await browser.newPage({ viewport: { width: 1400, height: 850 } })
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
    page = await browser.newPage({ viewport: { width: 1400, height: 850 } })
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

describe('scale: 2,000 models and 5,000 edges', () => {
  let page: Page
  let url: string
  const measured: Record<string, unknown> = {}
  let demo: Awaited<ReturnType<typeof startDashboardProcess>> | undefined
  beforeAll(async () => {
    // `pnpm dashboard --demo` in its own process, so the timings are not those of a server sharing
    // its event loop with the test driver.
    demo = await startDashboardProcess(['--demo'])
    url = demo.url
    page = await browser.newPage({ viewport: { width: 1400, height: 850 } })
  })
  afterAll(async () => {
    await page?.close()
    await demo?.stop()
    await writeFile(path.join(shots, 'scale-metrics.json'), JSON.stringify(measured, null, 2) + '\n')
    console.log('scale measurements (ms):', JSON.stringify(measured))
  })

  it('draws the whole graph', async () => {
    await page.goto(url + '/')
    await waitForRenders(page, 1)
    const render = await page.evaluate(() => ({ ...window.__dashboard.lastRender!, sinceNavigation: performance.now(), drawMs: window.__dashboard.canvas!.lastDrawMs }))
    expect(render.nodes).toBe(2040)
    expect(render.edges).toBeGreaterThanOrEqual(5000)
    // Interactive: a zoom step redraws the whole graph.
    await page.mouse.move(700, 450)
    await page.mouse.wheel(0, -300)
    await page.waitForTimeout(100)
    const zoomDrawMs = await page.evaluate(() => window.__dashboard.canvas!.lastDrawMs)
    // A whole frame as the screen gets it: the draw calls plus the (software) rasterisation.
    const paintedFrameMs = await page.evaluate(async () => {
      await new Promise((resolve) => setTimeout(resolve, 200))
      const started = performance.now()
      window.__dashboard.canvas!.requestDraw()
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))
      return performance.now() - started
    })
    Object.assign(measured, {
      wholeGraphFromNavigation: round(render.sinceNavigation),
      wholeGraphFetchToDrawn: round(render.totalMs),
      wholeGraphFetch: round(render.fetchMs),
      wholeGraphDrawCalls: round(render.drawMs),
      wholeGraphPaintedFrame: round(paintedFrameMs),
      wholeGraphZoomDrawCalls: round(zoomDrawMs),
    })
    await shot(page, '12-scale-whole-graph.png')
  })

  it('focuses a clicked node', async () => {
    await page.click('#fit')
    await page.waitForTimeout(50)
    const box = await page.evaluate(() => window.__dashboard.canvas!.screenRect('model.model_1000'))
    const before = await renders(page)
    await page.evaluate(() => document.querySelector('canvas')!.addEventListener('pointerdown', () => ((window as any).pressedAt = performance.now()), { capture: true, once: true }))
    await page.mouse.click(box!.x + box!.width / 2, box!.y + box!.height / 2)
    await waitForRenders(page, before + 1)
    const render = await page.evaluate(() => window.__dashboard.lastRender!)
    // From the press of the button to the frame after the focused view was drawn.
    const pressToPainted = await page.evaluate(async () => {
      await new Promise((resolve) => requestAnimationFrame(resolve))
      return performance.now() - (window as any).pressedAt
    })
    expect(await page.inputValue('#select')).toBe('1+model_1000+1')
    expect(render.nodes).toBeLessThanOrEqual(250)
    Object.assign(measured, { focusClickToDrawn: round(render.totalMs), focusPressToPainted: round(pressToPainted), focusNodes: render.nodes })
    // Once more from the whole graph, on another node (caches and JIT warm).
    const all = await renders(page)
    await page.click('#show-all')
    await waitForRenders(page, all + 1)
    const other = await page.evaluate(() => window.__dashboard.canvas!.screenRect('model.model_1500'))
    const again = await renders(page)
    await page.mouse.click(other!.x + other!.width / 2, other!.y + other!.height / 2)
    await waitForRenders(page, again + 1)
    const second = await page.evaluate(() => window.__dashboard.lastRender!)
    expect(await page.inputValue('#select')).toBe('1+model_1500+1')
    Object.assign(measured, { focusAgainClickToDrawn: round(second.totalMs), focusAgainNodes: second.nodes })
    const wider = await renders(page)
    await page.click('#depth-down-more')
    await waitForRenders(page, wider + 1)
    const widened = await page.evaluate(() => window.__dashboard.lastRender!)
    Object.assign(measured, { widenClickToDrawn: round(widened.totalMs), widenNodes: widened.nodes })
    // A focused view near the 250-node bound, typed into the selector box.
    const typed = await renders(page)
    await page.fill('#select', '5+model_1000+5')
    await page.press('#select', 'Enter')
    await waitForRenders(page, typed + 1)
    const large = await page.evaluate(() => window.__dashboard.lastRender!)
    expect(large.nodes).toBeLessThanOrEqual(250)
    expect(large.nodes).toBeGreaterThan(150)
    expect(page.url()).toContain('select=5%2Bmodel_1000%2B5')
    Object.assign(measured, { focus200ApplyToDrawn: round(large.totalMs), focus200Nodes: large.nodes })
    await shot(page, '13-scale-focus-200.png')
  })

  it("highlights a column's full lineage on the whole graph (measured, not asserted)", async () => {
    // model_1999's panel open over the whole graph: focus it, then show every node
    await page.goto(url + '/?node=model.model_1999')
    await waitForRenders(page, 1)
    const all = await renders(page)
    await page.click('#show-all')
    await waitForRenders(page, all + 1)
    await page.waitForSelector('#node-panel button[data-column="col_07"]')
    const timings: number[] = []
    let last: { columns: number; edges: number; fetchMs: number; totalMs: number } | undefined
    for (const column of ['col_07', 'col_03', 'col_11', 'col_07']) {
      const before = await page.evaluate(() => window.__dashboard.columnHighlights)
      await page.click(`#node-panel button[data-column="${column}"]`)
      await page.waitForFunction((n) => window.__dashboard.columnHighlights > n, before)
      last = await page.evaluate(() => window.__dashboard.lastColumnHighlight!)
      timings.push(last.totalMs)
    }
    expect(last!.columns).toBeGreaterThan(1)
    expect(await page.textContent('#column-status')).toContain('column model_1999.col_07:')
    Object.assign(measured, {
      columnHighlightClickToDrawn: timings.map(round),
      columnHighlightFetch: round(last!.fetchMs),
      columnHighlightColumns: last!.columns,
      columnHighlightEdges: last!.edges,
    })
    await shot(page, '16-scale-column-lineage.png')
    // zoomed in on the clicked column: its rows inside the nodes
    const box = (await page.evaluate(() => window.__dashboard.canvas!.screenRect('model.model_1999')))!
    for (let i = 0; i < 6; i++) await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2), await page.mouse.wheel(0, -400)
    await page.waitForTimeout(300)
    await shot(page, '17-scale-column-lineage-zoomed.png')
    // a raw column many models read: its impact reaches far downstream
    await page.goto(url + '/?node=raw.table_05')
    await waitForRenders(page, 1)
    const whole = await renders(page)
    await page.click('#show-all')
    await waitForRenders(page, whole + 1)
    const wide: number[] = []
    let large: { columns: number; edges: number } | undefined
    for (let i = 0; i < 3; i++) {
      const before = await page.evaluate(() => window.__dashboard.columnHighlights)
      await page.click('#node-panel button[data-column="id"]')
      await page.waitForFunction((n) => window.__dashboard.columnHighlights > n, before)
      const highlight = await page.evaluate(() => window.__dashboard.lastColumnHighlight!)
      wide.push(highlight.totalMs)
      large = highlight
    }
    Object.assign(measured, { columnHighlightLargeClickToDrawn: wide.map(round), columnHighlightLargeColumns: large!.columns, columnHighlightLargeEdges: large!.edges })
    await shot(page, '18-scale-column-lineage-raw-impact.png')
  })

  it('searches on every keystroke', async () => {
    await page.evaluate(() => (window.__dashboard.searchMs = []))
    await page.fill('#search', '')
    await page.click('#search')
    await page.keyboard.type('model_1234', { delay: 20 })
    await page.waitForSelector('#search-results li[data-node-id="model.model_1234"]')
    const times = await page.evaluate(() => window.__dashboard.searchMs)
    expect(times.length).toBe('model_1234'.length)
    const sorted = [...times].sort((a, b) => a - b)
    Object.assign(measured, { searchKeystrokeMedian: round(sorted[Math.floor(sorted.length / 2)]!), searchKeystrokeMax: round(sorted[sorted.length - 1]!) })
    await shot(page, '14-scale-search.png')
  })

  it('lists 2,200 tests and draws a run of 2,020 bars', async () => {
    const testsStarted = Date.now()
    await page.goto(url + '/tests')
    await page.waitForSelector('#tests-table tbody tr[data-test-id]')
    const testsMs = Date.now() - testsStarted
    // Failures first; the first 200 rows, the rest on request.
    expect(await page.$$eval('#tests-table tbody tr[data-test-id]', (rows) => rows.length)).toBe(200)
    expect(await page.getAttribute('#tests-table tbody tr[data-test-id]', 'data-test-id')).toMatch(/^(unique|relationships)_model_\d+_id$/)
    expect(await page.textContent('#tests-table tbody tr:first-child')).toContain('fail')
    const allStarted = Date.now()
    await page.click('#show-all-tests')
    await page.waitForSelector('#tests-table tbody tr[data-test-id]:nth-child(2000)')
    const allTestsMs = Date.now() - allStarted
    expect(await page.$$eval('#tests-table tbody tr[data-test-id]', (rows) => rows.length)).toBeGreaterThan(2000)
    const runStarted = Date.now()
    await page.goto(url + '/runs/00000000-0000-4000-8000-000000000005')
    await page.waitForSelector('#gantt svg .bar')
    const runMs = Date.now() - runStarted
    expect(await page.$$eval('#gantt .bar', (bars) => bars.length)).toBe(2020)
    Object.assign(measured, { testsPageLoaded: testsMs, testsShowAll: allTestsMs, runTimelineLoaded: runMs })
    await shot(page, '15-scale-run-timeline.png')
  })
})

const round = (ms: number) => Math.round(ms * 10) / 10
