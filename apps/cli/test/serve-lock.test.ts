import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { connectClient, lockTarget, startRun } from '@elt/core'
import type { TestDatabase } from '@elt/core/testing'
import { serviceDatabase, serviceProject, setFlags, spawnTestCli, startTestService, until } from '../../../packages/service/test/service-fixture.ts'
import { runElt } from './replicate-helpers.ts'

let db: TestDatabase
let env: Record<string, string>
beforeAll(async () => {
  db = await serviceDatabase(inject('pgAdminUrl'), 'cli_serve_lock')
  env = { SOURCE_DATABASE_URL: db.url, DESTINATION_DATABASE_URL: db.url, ELT_CONNECT_TIMEOUT_SECONDS: '5' }
})
afterAll(async () => {
  await db.drop()
})

const runRow = (runId: string) =>
  db.query<{ status: string; started_at: Date; finished_at: Date | null }>(`select status, started_at, finished_at from _elt.runs where run_id = $1`, [runId]).then((rows) => rows[0])

describe('one writer per target, with elt serve', () => {
  it('while a service run builds, a CLI build exits 1 naming it; with --wait it runs after it', async () => {
    await setFlags(db, { sleep: 3, divisor: 1 })
    const cwd = await serviceProject(`schedules: []`)
    const { service } = await startTestService(db, cwd)
    try {
      const queued = service.enqueue({ command: 'build', select: 'slow', startedBy: 'api' })
      await until('the service run building', async () => (await runRow(queued.runId))?.status === 'running')
      const refused = await runElt(['build', '--json', '--select', 'quick'], env, cwd)
      expect(refused.code).toBe(1)
      expect(refused.stderr).toMatch(new RegExp(`error: The target "analytics" is locked: held by run ${queued.runId} \\(build, target prod, api\\) started `))
      const waited = await runElt(['build', '--json', '--select', 'quick', '--wait'], env, cwd)
      expect(waited.code, waited.stderr).toBe(0)
      expect(waited.stderr).toContain(`held by run ${queued.runId} `)
      const serviceRun = await runRow(queued.runId)
      const cliRun = await runRow(JSON.parse(waited.stdout).runId as string)
      expect(serviceRun?.status).toBe('success')
      expect(cliRun!.started_at.getTime()).toBeGreaterThanOrEqual(serviceRun!.finished_at!.getTime())
    } finally {
      await service.stop()
    }
  })

  it("a service run waits for a CLI run holding the target (the service passes --wait), then runs", async () => {
    await setFlags(db, { sleep: 0, divisor: 1 })
    const cwd = await serviceProject(`schedules: []`)
    const holder = await connectClient({ label: 'destination', url: db.url })
    const { service } = await startTestService(db, cwd)
    try {
      await lockTarget(holder, 'analytics')
      const held = await startRun(holder, { command: 'build', target: 'prod' })
      const queued = service.enqueue({ command: 'build', select: 'quick', startedBy: 'schedule nightly' })
      await until('the service run waiting', async () => service.queue.get(queued.runId)?.lastLine?.includes(`waiting for the target "analytics": held by run ${held}`))
      expect(await runRow(queued.runId)).toBeUndefined()
      await holder.end()
      const run = await service.queue.finished(queued.runId)
      expect(run.outcome).toBe('success')
      expect(await db.query(`select started_by from _elt.runs where run_id = $1`, [queued.runId])).toEqual([{ started_by: 'schedule nightly' }])
    } finally {
      await holder.end().catch(() => {})
      await service.stop()
    }
  })

  it('elt backfill runs the schedule once per day and exits 1 naming the failed days', async () => {
    const cwd = await serviceProject(`schedules: [{ name: 'daily', cron: '0 2 * * *', command: 'build', select: 'quick' }]`)
    const unknown = await runElt(['backfill', '--schedule', 'nope', '--from', '2026-11-29'], env, cwd)
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('No schedule is named "nope". Schedules: daily.')
    const backwards = await runElt(['backfill', '--schedule', 'daily', '--from', '2026-11-29', '--to', '2026-11-28'], env, cwd)
    expect(backwards.code).toBe(2)
    expect(backwards.stderr).toContain('--to (2026-11-28) is before --from (2026-11-29).')
    // a real process (its runs start the CLI it was started as); `build` takes no --date, so every day fails (exit 2 each)
    const cli = spawnTestCli(['backfill', '--schedule', 'daily', '--from', '2026-11-29', '--to', '2026-12-01'], cwd, env)
    expect(await cli.exited, cli.stderr).toBe(1)
    expect(cli.stdout).toMatch(/^Backfill of daily: 0 of 3 day\(s\) succeeded; failed: 2026-11-29 \(run [0-9a-f-]{36}\), 2026-11-30 \(run [0-9a-f-]{36}\), 2026-12-01 \(run [0-9a-f-]{36}\)\.$/m)
    const rows = await db.query<{ status: string; started_by: string; message: string }>(`select status, started_by, message from _elt.runs where started_by = 'backfill daily' order by started_at`)
    expect(rows).toHaveLength(3)
    for (const row of rows) expect(row).toMatchObject({ status: 'error', message: expect.stringContaining('--date') })
  })
})
