import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { launchChromium } from './launch-chromium.ts'

/**
 * What the browser tests share: one headless Chromium per test file (`useBrowser`), the folder
 * their screenshots land in, and probes of the lineage page. The browser is playwright-core's:
 * `CHROMIUM_PATH`, a system Chromium, or the one inside `@sparticuz/chromium` (see
 * ./launch-chromium.ts); a browser that cannot start fails every test of the file with its cause.
 */

/** apps/dashboard/test-results/: every page's screenshot, the scale measurements. */
export const shots = path.join(import.meta.dirname, '..', '..', 'test-results')

/**
 * Launches Chromium before the file's tests (and creates `shots`), closes it after them; returns
 * the browser's accessor, valid inside tests and hooks.
 *
 * ```ts
 * const browser = useBrowser()
 * beforeAll(async () => void (page = await browser().newPage({ viewport: { width: 1400, height: 850 } })))
 * ```
 */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined
  beforeAll(async () => {
    await mkdir(shots, { recursive: true })
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
  })
  return () => {
    if (!browser) throw new Error('The browser is not launched yet: call it inside a test or a hook.')
    return browser
  }
}

/** How many times the lineage page has drawn a lineage so far. */
export const renders = (page: Page) => page.evaluate(() => Number(document.body.dataset.lineageRenders ?? 0))
/** Waits until the lineage page has drawn `count` lineages. */
export const waitForRenders = (page: Page, count: number) => page.waitForFunction((n) => Number(document.body.dataset.lineageRenders ?? 0) >= n, count)
/** A screenshot of the page into `shots`. */
export const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, name) })

/** The colour drawn at a point of the canvas, as #rrggbb. */
export const pixel = (page: Page, x: number, y: number) =>
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

/** Milliseconds to one decimal, for the measurements printed. */
export const round = (ms: number) => Math.round(ms * 10) / 10
