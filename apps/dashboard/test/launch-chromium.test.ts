import { describe, expect, it } from 'vitest'
import { findChromium, launchChromium } from './support/launch-chromium.ts'

const withoutChromiumPath = () => Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'CHROMIUM_PATH'))

describe('launchChromium', () => {
  it('runs the Chromium of the @sparticuz/chromium package when there is no system one', async () => {
    const found = await findChromium({ env: withoutChromiumPath(), systemPaths: [] })
    expect(found.origin).toBe('@sparticuz/chromium 153.0.0')
    expect(found.path).toMatch(/node_modules\/\.cache\/elt-chromium-153\.0\.0\/chromium$/)
    const browser = await launchChromium({ env: withoutChromiumPath(), systemPaths: [] })
    try {
      const context = await browser.newContext()
      const page = await context.newPage()
      await page.setContent('<p id="p">drawn</p>')
      expect(await page.textContent('#p')).toBe('drawn')
      // The Lambda flags of the package crash the browser here; Playwright's own do not.
      await context.close()
      const again = await browser.newPage()
      await again.setContent('<p id="p">again</p>')
      expect(await again.textContent('#p')).toBe('again')
    } finally {
      await browser.close()
    }
  })

  it('names CHROMIUM_PATH when it points at nothing', async () => {
    const error = await findChromium({ env: { CHROMIUM_PATH: '/nowhere/chromium' } }).catch((e: unknown) => e)
    expect(String(error)).toContain('CHROMIUM_PATH=/nowhere/chromium is not an executable file')
  })

  it('fails with the executable, its origin and the browser’s own message when it cannot start', async () => {
    const error = await launchChromium({ env: { ...withoutChromiumPath(), CHROMIUM_PATH: '/bin/false' } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toMatch(/^Could not launch Chromium \/bin\/false \(CHROMIUM_PATH\): .*browserType\.launch/s)
  })
})
