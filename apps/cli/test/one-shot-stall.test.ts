import path from 'node:path'
import { rm } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { connectClient, sleep } from '@elt/core'
import { createTestDatabase, stallingProxy, type StallingProxy, type TestDatabase } from '@elt/core/testing'
import { eltSessions, emptyProject, runElt, spawnElt } from './replicate-helpers.ts'

let source: TestDatabase
let destination: TestDatabase
let proxy: StallingProxy
let project: string
beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'one_shot_stall_src')
  destination = await createTestDatabase(inject('pgAdminUrl'), 'one_shot_stall_dst')
  await source.query(`create table accounts (id int primary key, name text)`)
  proxy = await stallingProxy(destination.url)
  project = await emptyProject(`export default { replicate: { tables: { 'public.accounts': { strategy: 'cdc' } } } }\n`)
})
afterAll(async () => {
  proxy?.destroy()
  await rm(project, { recursive: true, force: true })
  await source?.drop()
  await destination?.drop()
})

describe('a one-shot command whose destination connection goes silent', () => {
  it('cdc status fails naming the stall within ELT_STALL_SECONDS instead of waiting for ever, and leaves no session behind', async () => {
    // the cdc state tables exist (a first status, straight to the destination)
    const first = await runElt(['cdc', 'status'], { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url }, project)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain('no slot elt_postgres')

    const blocker = await connectClient({ label: 'destination', url: destination.url }, { applicationName: 'test-blocker' })
    const status = spawnElt(['cdc', 'status', '--config', path.join(project, 'elt.config.ts')], {
      SOURCE_DATABASE_URL: source.url,
      DESTINATION_DATABASE_URL: proxy.url(destination.url),
      ELT_STALL_SECONDS: '2',
    })
    try {
      // the status's read of the state waits on this lock; then its connection stops passing bytes
      await blocker.query('begin')
      await blocker.query('lock table _elt.cdc_pipelines in access exclusive mode')
      const waiting = async () => (await destination.query(`select 1 from pg_stat_activity where application_name = 'elt-cdc' and wait_event_type = 'Lock'`)).length > 0
      for (const deadline = Date.now() + 30_000; !(await waiting()); await sleep(20)) {
        if (Date.now() > deadline || status.child.exitCode !== null) throw new Error(`cdc status never waited on the lock:\n${status.stderr()}`)
      }
      proxy.cut() // its answer will never arrive; new connections work
      await blocker.query('commit')
      const ended = await Promise.race([status.exited, sleep(30_000).then(() => undefined)])
      expect(ended, `still running 30 s after the cut:\n${status.stderr()}`).toBeDefined()
      expect(ended!.code, status.stderr()).toBe(1)
      expect(status.stderr()).toMatch(/Nothing moved for \d+ s while reading the cdc status: .*the destination's session \(pid \d+\) has waited \d+ s for this process's next statement/)
      // its sessions were ended, not left to the servers' keepalive
      expect(await eltSessions(destination)).toEqual([])
      expect(await eltSessions(source)).toEqual([])
    } finally {
      if (status.child.exitCode === null) status.child.kill('SIGKILL')
      await blocker.end().catch(() => {})
    }
  })
})
