import { existsSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { TestDatabase } from '@elt/core/testing'
import { serviceDatabase, serviceProject, spawnTestCli } from '../../../packages/service/test/service-fixture.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await serviceDatabase(inject('pgAdminUrl'), 'cli_backfill')
})
afterAll(async () => {
  await db.drop()
})

describe('elt backfill', () => {
  it('extracts three days to the stage, one `extract --date D` run per day, in order, one at a time', async () => {
    const cwd = await serviceProject(`stage: { dir: 'stage' }, schedules: [{ name: 'daily-extract', cron: '0 2 * * *', command: 'extract' }]`)
    const cli = spawnTestCli(['backfill', '--schedule', 'daily-extract', '--from', '2026-11-29', '--to', '2026-12-01', '--json'], cwd, {
      SOURCE_DATABASE_URL: db.url,
      DESTINATION_DATABASE_URL: db.url,
      ELT_CONNECT_TIMEOUT_SECONDS: '5',
    })
    expect(await cli.exited, cli.stderr).toBe(0)
    const days = ['2026-11-29', '2026-11-30', '2026-12-01']
    const summary = JSON.parse(cli.stdout) as { days: { day: string; runId: string; status: string }[]; notRun: string[] }
    expect(summary.days.map((d) => [d.day, d.status])).toEqual(days.map((d) => [d, 'success']))
    expect(summary.notRun).toEqual([])
    for (const day of days) expect(existsSync(path.join(cwd, 'stage', 'postgres', 'public.flags', day)), day).toBe(true)
    const runs = await db.query<{ run_id: string; command: string; status: string; started_at: Date; finished_at: Date }>(
      `select run_id::text, command, status, started_at, finished_at from _elt.runs where started_by = 'backfill daily-extract' order by started_at`,
    )
    expect(runs.map((r) => [r.run_id, r.command, r.status])).toEqual(summary.days.map((d) => [d.runId, 'extract', 'success']))
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.started_at.getTime()).toBeGreaterThanOrEqual(runs[i - 1]!.finished_at.getTime())
  })
})
