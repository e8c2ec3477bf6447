import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { copiedSoFar, createBigAndSmall, eltSessions, interruptElt, runElt } from './replicate-helpers.ts'

const bigRows = 2_000_000

let source: TestDatabase
let destination: TestDatabase
let env: Record<string, string>
beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'cancel_src')
  destination = await createTestDatabase(inject('pgAdminUrl'), 'cancel_dst')
  await createBigAndSmall(source, bigRows)
  env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url }
})
afterAll(async () => {
  await source.drop()
  await destination.drop()
})

const bigOnDestination = () => destination.query(`select count(*)::int as n, count(*) filter (where label = 'changed')::int as changed from raw.big`)

describe('elt replicate, Ctrl-C mid-COPY', () => {
  it('stops at once, keeps the previous copy, leaves nothing half-loaded nor running, records the run cancelled', async () => {
    expect((await runElt(['replicate'], env)).code).toBe(0)
    await source.query(`update big set label = 'changed' where id <= 10`)
    const run = await interruptElt(['replicate', '--jobs', '2'], env, async () => (await copiedSoFar(destination)) > 50_000)
    expect(run.code, run.stderr).toBe(1)
    expect(run.seconds).toBeLessThan(10)
    expect(run.stderr).toContain('Cancelled by the user (Ctrl-C).')
    // nothing of the run is left running on either server, nothing half-loaded is visible
    for (const db of [source, destination]) expect(await eltSessions(db)).toEqual([])
    expect(await destination.query(`select relname from pg_class where relname like 'elt_new_%'`)).toEqual([])
    expect(await bigOnDestination()).toEqual([{ n: bigRows, changed: 0 }])
    expect(await destination.query(`select status, message from _elt.runs order by started_at desc limit 1`)).toEqual([{ status: 'cancelled', message: 'Cancelled by the user (Ctrl-C).' }])
    // the next run copies it all
    expect((await runElt(['replicate'], env)).code).toBe(0)
    expect(await bigOnDestination()).toEqual([{ n: bigRows, changed: 10 }])
  })
})
