import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { spawnElt } from './replicate-helpers.ts'

let source: TestDatabase
let destination: TestDatabase
beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'closed_out_src')
  destination = await createTestDatabase(inject('pgAdminUrl'), 'closed_out_dst')
  await source.query(`create table films (id int primary key, title text); insert into films select g, 'film ' || g from generate_series(1, 50) g;
    create table actors (id int primary key, name text); insert into actors select g, 'actor ' || g from generate_series(1, 20) g`)
})
afterAll(async () => {
  await source.drop()
  await destination.drop()
})

describe('a command whose output is no longer read', () => {
  it('(`pnpm elt replicate 2>&1 | head -1`) still finishes its run and records it', async () => {
    const run = spawnElt(['replicate'], { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url })
    // the reader reads the first line and goes away: both pipes closed
    await new Promise<void>((resolve) => run.child.stderr!.once('data', () => resolve()))
    run.child.stdout!.destroy()
    run.child.stderr!.destroy()
    const { code, signal } = await run.exited
    expect({ code, signal }).toEqual({ code: 0, signal: null })
    expect(await destination.query(`select status from _elt.replications`)).toEqual([{ status: 'success' }])
    expect(await destination.query(`select count(*)::int as n from raw.films`)).toEqual([{ n: 50 }])
  })
})
