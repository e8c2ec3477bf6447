import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { sleep } from '@elt/core'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { runElt, spawnElt } from './replicate-helpers.ts'

const bigRows = 2_000_000

let source: TestDatabase
let destination: TestDatabase
let env: Record<string, string>
beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'cancel_src')
  destination = await createTestDatabase(inject('pgAdminUrl'), 'cancel_dst')
  await source.query(`
    create table big (id bigint primary key, label text);
    insert into big select g, 'row ' || g || repeat('.', 30) from generate_series(1, ${bigRows}) g;
    create table small (id int primary key);
    insert into small select generate_series(1, 10);`)
  env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url }
})
afterAll(async () => {
  await source.drop()
  await destination.drop()
})

describe('elt replicate, Ctrl-C mid-COPY', () => {
  it('stops at once, keeps the previous copy, leaves nothing half-loaded nor running, records the run cancelled', async () => {
    expect((await runElt(['replicate'], env)).code).toBe(0)
    await source.query(`update big set label = 'changed' where id <= 10`)
    const run = spawnElt(['replicate', '--jobs', '2'], env)
    try {
      let copying = false
      for (const deadline = Date.now() + 60_000; Date.now() < deadline && !copying && run.child.exitCode === null; await sleep(20)) {
        const progress = await destination.query<{ n: string }>(
          `select coalesce(max(tuples_processed), 0) as n from pg_stat_progress_copy where datname = current_database() and command = 'COPY FROM'`,
        )
        copying = Number(progress[0]?.n) > 50_000
      }
      expect(copying, run.stderr()).toBe(true)
      const signalled = performance.now()
      run.child.kill('SIGINT')
      const ended = await run.exited
      expect(performance.now() - signalled).toBeLessThan(10_000)
      expect(ended.code, run.stderr()).toBe(1)
      expect(run.stderr()).toContain('Cancelled by the user (Ctrl-C).')
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL')
    }
    // nothing of the run is left running on either server, nothing half-loaded is visible
    for (const db of [source, destination]) {
      expect(await db.query(`select application_name, state from pg_stat_activity where datname = current_database() and application_name like 'elt%'`)).toEqual([])
    }
    expect(await destination.query(`select relname from pg_class where relname like 'elt_new_%'`)).toEqual([])
    expect(await destination.query(`select count(*)::int as n, count(*) filter (where label = 'changed')::int as changed from raw.big`)).toEqual([{ n: bigRows, changed: 0 }])
    expect(await destination.query(`select status, message from _elt.runs order by started_at desc limit 1`)).toEqual([{ status: 'cancelled', message: 'Cancelled by the user (Ctrl-C).' }])
    // the next run copies it all
    expect((await runElt(['replicate'], env)).code).toBe(0)
    expect(await destination.query(`select count(*)::int as n, count(*) filter (where label = 'changed')::int as changed from raw.big`)).toEqual([{ n: bigRows, changed: 10 }])
  })
})
