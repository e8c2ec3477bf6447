import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { TestDatabase } from '@elt/core/testing'
import { backfill, RunQueue } from '../src/index.ts'
import { serviceDatabase, serviceProject, setFlags, spawnTestCli, until } from './service-fixture.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await serviceDatabase(inject('pgAdminUrl'), 'service_process')
})
afterAll(async () => {
  await db.drop()
})

describe('elt serve as a process', () => {
  it('SIGTERM during a run: stops taking runs, cancels the run after the grace period, records it, exits 0', async () => {
    await setFlags(db, { sleep: 60, divisor: 1 })
    const cwd = await serviceProject(`schedules: [{ name: 'sleepy', cron: '* * * * * *', command: 'build', select: 'slow' }], serve: { gracePeriodSeconds: 1 }`)
    const serve = spawnTestCli(['serve', '--port', '0', '--log-format', 'json'], cwd, { SOURCE_DATABASE_URL: db.url, DESTINATION_DATABASE_URL: db.url, ELT_CONNECT_TIMEOUT_SECONDS: '5' })
    const { child, exited } = serve
    try {
      const running = await until('a sleeping run', async () => {
        const rows = await db.query<{ run_id: string }>(`select r.run_id::text from _elt.runs r where r.started_by = 'schedule sleepy' and r.status = 'running'`)
        const sleeping = await db.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where query like '%pg_sleep%' and pid <> pg_backend_pid()`)
        return rows.length === 1 && sleeping[0]!.n === 1 ? rows[0]!.run_id : undefined
      })
      child.kill('SIGTERM')
      const code = await Promise.race([exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000))])
      expect(code, serve.stderr + serve.stdout).toBe(0)
      expect(await db.query(`select status from _elt.runs where run_id = $1`, [running])).toEqual([{ status: 'cancelled' }])
      const ticks = await db.query<{ status: string; run_id: string | null }>(`select status, run_id::text from _elt.schedule_ticks where schedule = 'sleepy' and status <> 'skipped'`)
      expect(ticks).toEqual([{ status: 'cancelled', run_id: running }])
      expect(await db.query(`select count(*)::int as n from _elt.runs where started_by = 'schedule sleepy' and status = 'running'`)).toEqual([{ n: 0 }])
      const lines = serve.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
      expect(lines.filter((l) => l.runId === running).every((l) => l.schedule === 'sleepy' && typeof l.step === 'string')).toBe(true)
      expect(lines.map((l) => l.msg)).toContain('Stopped.')
      const password = new URL(db.url).password
      if (password) expect(serve.stdout + serve.stderr).not.toContain(password)
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('backfill: one run per day with --date, in order, one at a time, each day its outcome', async () => {
    // A stand-in CLI that records its arguments (the real `--date` runs belong to the stage's tests):
    // it fails for 2026-11-30, as a day whose load failed would.
    const cwd = await serviceProject(`schedules: []`)
    const fake = path.join(cwd, 'fake-elt.mjs')
    const calls = path.join(cwd, 'calls.jsonl')
    await writeFile(
      fake,
      `import { appendFileSync } from 'node:fs'
const date = process.argv[process.argv.indexOf('--date') + 1]
const started = Date.now()
await new Promise((resolve) => setTimeout(resolve, 200))
appendFileSync(${JSON.stringify(calls)}, JSON.stringify({ started, ended: Date.now(), argv: process.argv.slice(2).join(' '), runId: process.env.ELT_RUN_ID, startedBy: process.env.ELT_STARTED_BY }) + '\\n')
process.stdout.write(JSON.stringify({ runId: process.env.ELT_RUN_ID, status: date === '2026-11-30' ? 'error' : 'success' }))
process.exitCode = date === '2026-11-30' ? 1 : 0
`,
    )
    const queue = new RunQueue({ cli: [process.execPath, fake], cwd, env: { PATH: process.env.PATH } })
    const schedule = { name: 'nightly', cron: '0 2 * * *', command: 'run' as const, select: 'quick', retries: 0, retryDelaySeconds: 60, retryBackoff: 'fixed' as const, catchup: false }
    const results = await backfill(queue, schedule, ['2026-11-29', '2026-11-30', '2026-12-01'])
    expect(results.map((r) => [r.day, r.run.outcome])).toEqual([
      ['2026-11-29', 'success'],
      ['2026-11-30', 'error'],
      ['2026-12-01', 'success'],
    ])
    const recorded = (await readFile(calls, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { started: number; ended: number; argv: string; runId: string; startedBy: string })
    expect(recorded.map((c) => c.argv)).toEqual(['2026-11-29', '2026-11-30', '2026-12-01'].map((d) => `run --json --select quick --date ${d} --wait`))
    expect(recorded.map((c) => c.runId)).toEqual(results.map((r) => r.run.runId))
    expect(new Set(recorded.map((c) => c.startedBy))).toEqual(new Set(['backfill nightly']))
    // one at a time: each day started after the previous one had ended
    for (let i = 1; i < recorded.length; i++) expect(recorded[i]!.started).toBeGreaterThanOrEqual(recorded[i - 1]!.ended)
  })
})

