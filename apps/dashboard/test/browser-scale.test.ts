import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDashboardProcess } from './fixtures/dashboard-process.ts'
import { renders, round, shot, shots, useBrowser, waitForRenders } from './support/browser-session.ts'

/**
 * The UI at scale in real headless Chromium (./support/browser-session.ts): `pnpm dashboard
 * --demo`'s 2,000 models. Timings are measured and written to test-results/scale-metrics.json,
 * not asserted.
 */

const browser = useBrowser()

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
    page = await browser().newPage({ viewport: { width: 1400, height: 850 } })
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
