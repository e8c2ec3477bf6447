import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { connectClient } from '@elt/core'
import { stallingProxy, type StallingProxy, type TestDatabase } from '@elt/core/testing'
import { serviceDatabase, serviceProject, startTestService, until } from './service-fixture.ts'

let db: TestDatabase
let proxy: StallingProxy
beforeAll(async () => {
  db = await serviceDatabase(inject('pgAdminUrl'), 'service_stall')
  proxy = await stallingProxy(db.url)
})
afterAll(async () => {
  proxy?.destroy()
  await db?.drop()
})

const finishedRuns = async () => (await db.query<{ n: number }>(`select count(*)::int as n from _elt.runs where started_by = 'schedule every-second' and finished_at is not null`))[0]!.n

describe("elt serve, the connection recording a tick gone silent", () => {
  it('logs that the tick could not be recorded and goes on: the tick runs, and so do the next ones', async () => {
    const cwd = await serviceProject(`schedules: [{ name: 'every-second', cron: '* * * * * *', command: 'build', select: 'quick' }]`)
    const { service, logs } = await startTestService(db, cwd, { destinationUrl: proxy.url(db.url), stallSeconds: 2 })
    const blocker = await connectClient({ label: 'destination', url: db.url })
    try {
      await until('a first run of the schedule', async () => (await finishedRuns()) >= 1, 30_000)
      // the next tick's record waits on this lock; then every connection the service has made so far goes silent
      await blocker.query('begin')
      await blocker.query('lock table _elt.schedule_ticks in access exclusive mode')
      await until('a tick record waiting on the lock', async () => (await db.query(`select 1 from pg_stat_activity where application_name = 'elt serve' and wait_event_type = 'Lock'`)).length > 0, 20_000)
      proxy.cut() // their answers will never arrive; new connections work
      await blocker.query('commit')
      const before = await finishedRuns()
      // without the watch that tick waits for ever, and every later tick is skipped behind it
      await until('two more runs of the schedule', async () => (await finishedRuns()) >= before + 2, 30_000)
      expect(logs.some((line) => /Could not record the tick: Nothing moved for \d+ s while recording the service's state: the destination's session \(pid \d+\)/.test(line))).toBe(true)
    } finally {
      await blocker.end().catch(() => {})
      await service.stop()
    }
  })
})
