import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { TestDatabase } from '@elt/core/testing'
import { launchChromium } from '../../../apps/dashboard/test/support/launch-chromium.ts'
import { serviceDatabase, serviceProject, setFlags, startTestService } from './service-fixture.ts'

const shots = path.join(import.meta.dirname, '..', 'test-results')

let db: TestDatabase
let browser: Browser
beforeAll(async () => {
  await mkdir(shots, { recursive: true })
  db = await serviceDatabase(inject('pgAdminUrl'), 'service_page')
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
  await db?.drop()
})

describe('the dashboard under elt serve', () => {
  it('the Schedules page lists the schedules and shows the running run live, from /api/events', async () => {
    await setFlags(db, { sleep: 2, divisor: 1 })
    const cwd = await serviceProject(`schedules: [{ name: 'yearly', cron: '0 3 1 1 *', timezone: 'UTC', command: 'build', select: 'quick' }]`)
    const { service } = await startTestService(db, cwd)
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } })
    try {
      await page.goto(`${service.url}/schedules`)
      await page.waitForSelector('#schedules-table tr[data-schedule="yearly"]')
      const cells = await page.$$eval('#schedules-table tr[data-schedule="yearly"] td', (tds) => tds.map((td) => td.textContent))
      const nextYear = new Date().getUTCFullYear() + 1
      expect(cells).toEqual(['yearly', '0 3 1 1 * (UTC)', 'build --select quick', 'never ', '–', `${nextYear}-01-01 03:00:00 UTC`])
      expect(await page.textContent('#live-run')).toBe('No run in progress.')
      const run = service.enqueue({ command: 'build', select: 'slow', startedBy: 'api' })
      await page.waitForFunction((id) => document.querySelector('#live-run')?.textContent?.includes(id) && document.querySelector('#live-run')?.textContent?.startsWith('running'), run.runId, { timeout: 30_000 })
      expect(await page.textContent('#live-run')).toBe(`running ${run.runId} build (api)`)
      await page.waitForFunction(() => (document.querySelector('#live-lines')?.textContent ?? '').includes('slow'), undefined, { timeout: 30_000 })
      await page.screenshot({ path: path.join(shots, 'schedules-live.png') })
      await page.waitForFunction(() => document.querySelector('#live-run')?.textContent?.startsWith('success'), undefined, { timeout: 30_000 })
      expect(await page.textContent('#live-run')).toBe(`success ${run.runId} build (api)`)
    } finally {
      await page.close()
      await service.stop()
    }
  })
})
