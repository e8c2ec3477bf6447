import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { sleep } from '@elt/core'
import { createTestDatabase, stallingProxy, type StallingProxy, type TestDatabase } from '@elt/core/testing'
import { copiedSoFar, createBigAndSmall, eltSessions, runElt, spawnElt } from './replicate-helpers.ts'

const bigRows = 2_000_000

let source: TestDatabase
let destination: TestDatabase
let proxy: StallingProxy
beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'run_stall_src')
  destination = await createTestDatabase(inject('pgAdminUrl'), 'run_stall_dst')
  await createBigAndSmall(source, bigRows)
  proxy = await stallingProxy(destination.url)
})
afterAll(async () => {
  proxy.destroy()
  await source.drop()
  await destination.drop()
})

describe('elt replicate, every destination connection going silent mid-run', () => {
  it('does not hang recording the run: the load is retried, the run fails naming the stall, and the next run records it abandoned', async () => {
    const env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: proxy.url(destination.url), ELT_STALL_SECONDS: '2', ELT_MAX_RETRIES: '1', ELT_RETRY_DELAY_SECONDS: '0.1' }
    const run = spawnElt(['replicate', '--json'], env)
    try {
      for (const deadline = Date.now() + 60_000; Date.now() < deadline && run.child.exitCode === null; await sleep(20)) {
        if ((await copiedSoFar(destination)) > 50_000) break
      }
      // the run's own session, the load's state session and the table's connections all stop passing bytes; new connections work
      proxy.cut()
      const ended = await Promise.race([run.exited, sleep(45_000).then(() => undefined)])
      expect(ended, `still running 45 s after the cut:\n${run.stderr()}`).toBeDefined()
      expect(ended!.code, run.stderr()).toBe(1)
      expect(run.stderr()).toMatch(/Nothing moved for \d+ s while loading public\.big into raw\.big/) // the table, retried on new connections
      expect(run.stderr()).toMatch(/error: Nothing moved for \d+ s while finishing the run: .*the destination's session \(pid \d+\) has waited \d+ s for this process's next statement/)
      const summary = JSON.parse(ended!.stdout) as { runId: string; status: string }
      expect(summary.status).toBe('error')
      // the run's sessions were ended, not left holding their locks
      expect(await eltSessions(destination)).toEqual([])
      const next = await runElt(['replicate'], { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url })
      expect(next.code, next.stderr).toBe(0)
      expect(await destination.query(`select status from _elt.runs where run_id = $1`, [summary.runId])).toEqual([{ status: 'abandoned' }])
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL')
    }
  })
})
