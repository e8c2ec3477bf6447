import os from 'node:os'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { connectClient, effectiveRunStatusSql, sleep } from '@elt/core'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { runElt, spawnElt } from './replicate-helpers.ts'

let source: TestDatabase
let destination: TestDatabase
let env: Record<string, string>
beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'abandon_src')
  destination = await createTestDatabase(inject('pgAdminUrl'), 'abandon_dst')
  await source.query(`create table films (id int primary key, title text); insert into films select g, 'film ' || g from generate_series(1, 50) g`)
  env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url }
})
afterAll(async () => {
  await source.drop()
  await destination.drop()
})

/** Polls `check` every 50 ms until it is true; false after `ms`. */
async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(50)) if (await check()) return true
  return false
}

describe('a run killed with SIGKILL', () => {
  it('is shown abandoned at once and recorded abandoned in _elt.runs and _elt.replications by the next run', async () => {
    // the source table is locked, so the replication waits on it with its run recorded as running
    const blocker = await connectClient({ label: 'source', url: source.url })
    await blocker.query('begin; lock table films in access exclusive mode')
    const run = spawnElt(['replicate'], env)
    let runId: string | undefined
    try {
      const waiting = await until(async () => {
        const recorded = await destination.query<{ run_id: string }>(`select run_id::text from _elt.replications where status = 'running'`).catch(() => [])
        runId = recorded[0]?.run_id
        const blocked = await source.query(`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and application_name like 'elt-replicate%'`)
        return runId !== undefined && blocked.length > 0
      }, 60_000)
      expect(waiting, run.stderr()).toBe(true)
      run.child.kill('SIGKILL')
      expect((await run.exited).signal).toBe('SIGKILL')
    } finally {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL')
      await blocker.query('commit')
      await blocker.end()
    }
    const pid = run.child.pid
    // its sessions end with the process; nothing has written the outcome yet, a reader sees it abandoned
    expect(await until(async () => (await destination.query(`select 1 from pg_stat_activity where datname = current_database() and application_name like 'elt%'`)).length === 0, 10_000)).toBe(true)
    expect(await destination.query(`select status, pid, host from _elt.runs where run_id = $1`, [runId])).toEqual([{ status: 'running', pid, host: os.hostname() }])
    expect(await destination.query(`select ${effectiveRunStatusSql('r.status', 'r.run_id')} as status from _elt.runs r where run_id = $1`, [runId])).toEqual([{ status: 'abandoned' }])

    // the next run records it abandoned, in both places, naming the process
    const rerun = await runElt(['replicate', '--json'], env)
    expect(rerun.code, rerun.stderr).toBe(0)
    const message = `Its process (pid ${pid} on ${os.hostname()}) ended without recording an outcome (killed or crashed)`
    const runs = await destination.query<{ status: string; message: string }>(`select status, message from _elt.runs where run_id = $1`, [runId])
    expect(runs).toEqual([{ status: 'abandoned', message: expect.stringContaining(message) }])
    const replications = await destination.query(`select status, pid, host, message from _elt.replications where run_id = $1`, [runId])
    expect(replications).toEqual([{ status: 'abandoned', pid, host: os.hostname(), message: expect.stringContaining(message) }])
    // the rerun itself finished normally and nothing else is left running
    expect(await destination.query(`select status from _elt.runs where run_id = $1`, [JSON.parse(rerun.stdout).runId])).toEqual([{ status: 'success' }])
    expect(await destination.query(`select count(*)::int as n from _elt.runs where status = 'running'`)).toEqual([{ n: 0 }])
    expect(await destination.query(`select count(*)::int as n from _elt.replications where status = 'running'`)).toEqual([{ n: 0 }])
  })
})
