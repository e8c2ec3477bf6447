import type {} from '@elt/core/testing/global-setup' // declares inject('pgAdminUrl')
import { describeError } from '@elt/core'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { warehouseSource } from '../src/data/warehouse-source.ts'
import { filmManifest, seedFilmWarehouse, writeManifest } from './fixtures/film-warehouse.ts'

let db: TestDatabase
let manifestPath: string
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'dashboard_ssl')
  await seedFilmWarehouse(db)
  manifestPath = await writeManifest(filmManifest())
})
afterAll(() => db?.drop())

const withSslMode = (mode: string) => {
  const u = new URL(db.url)
  u.searchParams.set('sslmode', mode)
  return u.toString()
}

describe('the dashboard’s connection to a warehouse without SSL', () => {
  it('follows the URL’s sslmode: prefer falls back to unencrypted, with no driver warning', async () => {
    const warnings: string[] = []
    const emit = process.emitWarning
    process.emitWarning = ((warning: string | Error) => void warnings.push(String(warning))) as typeof process.emitWarning
    const source = warehouseSource({ destinationUrl: withSslMode('prefer'), manifestPath })
    try {
      expect((await source.runs(10)).length).toBeGreaterThan(0)
    } finally {
      process.emitWarning = emit
      await source.close()
    }
    expect(warnings).toEqual([])
  })

  it('answers with the one-line reason when the URL requires SSL', async () => {
    const source = warehouseSource({ destinationUrl: withSslMode('require'), manifestPath })
    try {
      const error = await source.runs(10).catch((e: unknown) => e)
      expect(describeError(error)).toMatch(/^The destination server at 127\.0\.0\.1:\d+\/t_dashboard_ssl_\w+ does not accept SSL connections, and the URL asks for sslmode=require\./)
    } finally {
      await source.close()
    }
  })
})
