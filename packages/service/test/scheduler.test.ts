import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { TestDatabase } from '@elt/core/testing'
import { alertReceiver, serviceDatabase, serviceProject, setFlags, startTestService, until } from './service-fixture.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await serviceDatabase(inject('pgAdminUrl'), 'service_scheduler')
})
afterAll(async () => {
  await db.drop()
})

type RunRow = { run_id: string; status: string; started_at: Date; finished_at: Date | null; started_by: string | null; message: string | null }
const runsOf = (startedBy: string) =>
  db.query<RunRow>(`select run_id::text, status, started_at, finished_at, started_by, message from _elt.runs where started_by = $1 order by started_at`, [startedBy])
const ticksOf = (schedule: string) =>
  db.query<{ status: string; run_id: string | null; attempts: number; due_at: Date }>(`select status, run_id::text, attempts, due_at from _elt.schedule_ticks where schedule = $1 order by tick_id`, [schedule])

describe('elt serve: the scheduler', () => {
  it('a 1-second schedule with a slow run: runs never overlap, overlapping ticks are recorded skipped, metrics count the runs', async () => {
    await setFlags(db, { sleep: 1.5, divisor: 1 })
    const cwd = await serviceProject(`schedules: [{ name: 'every-second', cron: '* * * * * *', command: 'build', select: 'slow' }]`)
    const { service, logs } = await startTestService(db, cwd)
    try {
      await until('three finished runs', async () => (await runsOf('schedule every-second')).filter((r) => r.finished_at).length >= 3)
      const schedules = (await (await fetch(`${service.url}/api/schedules`)).json()) as { name: string; nextRunAt: string; busy: boolean }[]
      expect(schedules).toEqual([expect.objectContaining({ name: 'every-second', cron: '* * * * * *', command: 'build', select: 'slow', nextRunAt: expect.any(String) })])
      const scraped = await (await fetch(`${service.url}/metrics`)).text()
      expect(scraped).toMatch(/^elt_schedule_next_run_timestamp_seconds\{schedule="every-second"\} \d/m)
      expect(scraped).toMatch(/^elt_run_in_progress [01]$/m)
    } finally {
      await service.stop() // the run going on is cancelled after the grace period (default 60 s: it ends first)
    }
    const runs = await runsOf('schedule every-second')
    expect(runs.every((r) => r.status === 'success'), JSON.stringify(runs)).toBe(true)
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.started_at.getTime()).toBeGreaterThanOrEqual(runs[i - 1]!.finished_at!.getTime())
    const ticks = await ticksOf('every-second')
    expect(ticks.filter((t) => t.status === 'skipped').length).toBeGreaterThan(0)
    // every run is one tick's run
    expect(ticks.filter((t) => t.run_id).map((t) => t.run_id).sort()).toEqual(runs.map((r) => r.run_id).sort())
    // metrics after known runs: exactly the runs recorded
    const metrics = (await service.metrics.text()).body
    expect(Number(/^elt_runs_total\{command="build",schedule="every-second",status="success"\} (\d+)$/m.exec(metrics)?.[1])).toBe(runs.length)
    expect(Number(/^elt_run_duration_seconds_count\{command="build",schedule="every-second"\} (\d+)$/m.exec(metrics)?.[1])).toBe(runs.length)
    expect(Number(/^elt_run_duration_seconds_bucket\{le="1",command="build",schedule="every-second"\} (\d+)$/m.exec(metrics)?.[1])).toBe(0) // each sleeps 1.5 s
    expect(metrics).toMatch(/^elt_last_success_timestamp_seconds\{schedule="every-second"\} \d+(\.\d+)?(e\+\d+)?$/m)
    expect(metrics).toMatch(/^elt_run_in_progress 0$/m)
    // logs: JSON lines with runId, schedule and step on every line of a run, no password
    const records = logs.map((l) => JSON.parse(l) as Record<string, unknown>)
    const runLines = records.filter((r) => r.runId)
    expect(runLines.length).toBeGreaterThan(3)
    for (const r of runLines) expect(r).toMatchObject({ runId: expect.any(String), schedule: 'every-second', step: expect.any(String) })
    const password = new URL(db.url).password
    if (password) expect(logs.join('')).not.toContain(password)
  })

  it('a failed run is retried: the injected failure, then a success in the same tick', async () => {
    await setFlags(db, { sleep: 0, divisor: 0 })
    const cwd = await serviceProject(`schedules: [{ name: 'retrying', cron: '0 0 1 1 *', command: 'build', select: 'flaky', retries: 2, retryDelaySeconds: 1 }]`)
    const { service } = await startTestService(db, cwd)
    try {
      // trigger the schedule's tick now, as croner would at its time
      ;(service.scheduler as unknown as { fire(s: unknown, d: Date): void }).fire(
        { name: 'retrying', cron: '0 0 1 1 *', command: 'build', select: 'flaky', retries: 2, retryDelaySeconds: 1, retryBackoff: 'fixed', catchup: false },
        new Date(),
      )
      await until('the first attempt failing', async () => (await runsOf('schedule retrying')).some((r) => r.status === 'error'))
      await setFlags(db, { divisor: 1 })
      const tick = await until('the tick ending', async () => (await ticksOf('retrying')).find((t) => t.status !== 'started'))
      const runs = await runsOf('schedule retrying')
      expect(runs.map((r) => r.status)).toEqual(['error', 'success'])
      expect(runs[0]!.message).toContain('failed')
      expect(tick).toMatchObject({ status: 'success', attempts: 2, run_id: runs[1]!.run_id })
    } finally {
      await service.stop()
    }
  })

  it('one alert per incident across retries and failing ticks, then recovered; the body names the failed model', async () => {
    await setFlags(db, { sleep: 0, divisor: 0 })
    const receiver = await alertReceiver()
    const cwd = await serviceProject(
      `schedules: [{ name: 'alerting', cron: '* * * * * *', command: 'build', select: 'flaky', retries: 1, retryDelaySeconds: 0.2 }],
       alerts: [{ on: ['failure', 'recovered'], webhook: { url: ${JSON.stringify(receiver.url)}, timeoutSeconds: 2, retries: 0 } }],
       serve: { publicUrl: 'https://elt.example.com' }`,
    )
    const { service } = await startTestService(db, cwd)
    try {
      await until('two failed ticks', async () => (await ticksOf('alerting')).filter((t) => t.status === 'error').length >= 2)
      await setFlags(db, { divisor: 1 })
      await until('a successful tick', async () => (await ticksOf('alerting')).some((t) => t.status === 'success'))
      await until('the recovered alert', async () => receiver.bodies.length >= 2)
    } finally {
      await service.stop()
      await receiver.close()
    }
    const ticks = await ticksOf('alerting')
    expect(ticks.filter((t) => t.status === 'error').every((t) => t.attempts === 2)).toBe(true)
    expect(receiver.bodies.map((b) => b.event)).toEqual(['failure', 'recovered'])
    const failure = receiver.bodies[0]!
    expect(failure.failed, JSON.stringify(failure)).not.toEqual([])
    const firstFailed = ticks.find((t) => t.status === 'error')!
    expect(failure).toMatchObject({
      event: 'failure',
      runId: firstFailed.run_id,
      schedule: 'alerting',
      command: 'build',
      status: 'error',
      attempt: 2,
      dashboardUrl: `https://elt.example.com/runs/${firstFailed.run_id}`,
      failed: [{ kind: 'model', name: 'flaky', status: 'error', message: expect.stringContaining('division by zero') }],
    })
    expect(failure.text).toMatch(/^elt: schedule alerting failed \(run [0-9a-f-]{36}, attempt 2\): model flaky \(.*division by zero.*\)\nhttps:\/\/elt\.example\.com\/runs\//)
    expect(receiver.bodies[1]).toMatchObject({ event: 'recovered', status: 'success', schedule: 'alerting' })
  })

  it('missed ticks are not replayed after a restart, unless catchup (then the latest once)', async () => {
    await setFlags(db, { sleep: 0, divisor: 1 })
    // both schedules last ran on 1 January of last year; the tick of 1 January this year was missed
    const lastYear = new Date(Date.UTC(new Date().getUTCFullYear() - 1, 0, 1))
    for (const name of ['no-catchup', 'with-catchup']) await db.query(`insert into _elt.schedule_ticks (schedule, due_at, status) values ($1, $2, 'success')`, [name, lastYear])
    const cwd = await serviceProject(
      `schedules: [{ name: 'no-catchup', cron: '0 0 1 1 *', timezone: 'UTC', command: 'build', select: 'quick' },
                   { name: 'with-catchup', cron: '0 0 1 1 *', timezone: 'UTC', command: 'build', select: 'quick', catchup: true }]`,
    )
    const { service } = await startTestService(db, cwd)
    try {
      const replayed = await until('the replayed tick', async () => (await ticksOf('with-catchup')).find((t) => t.status === 'success' && t.due_at.getTime() > lastYear.getTime()))
      expect(replayed.due_at.toISOString()).toBe(new Date(Date.UTC(new Date().getUTCFullYear(), 0, 1)).toISOString())
    } finally {
      await service.stop()
    }
    expect((await ticksOf('with-catchup')).map((t) => t.status)).toEqual(['success', 'success'])
    expect((await ticksOf('no-catchup')).map((t) => t.status)).toEqual(['success'])
    expect(await runsOf('schedule no-catchup')).toEqual([])
  })
})
