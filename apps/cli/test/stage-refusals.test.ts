import { rm } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { emptyProject, runElt } from './replicate-helpers.ts'

/** What `extract`/`load` refuse before touching anything: usage errors (exit 2) and a day not extracted (exit 1). */
describe('elt extract / load refusals', () => {
  let destination: TestDatabase
  let env: Record<string, string>
  let project: string
  beforeAll(async () => {
    destination = await createTestDatabase(inject('pgAdminUrl'), 'stage_refuse_dst')
    // a source nobody listens on: nothing here may need it
    env = { SOURCE_DATABASE_URL: 'postgres://app:secret@127.0.0.1:9/none', DESTINATION_DATABASE_URL: destination.url }
    await destination.query(`create schema raw; create table raw.films (id int primary key, title text); insert into raw.films values (1, 'kept')`)
    project = await emptyProject(`export default { stage: { dir: 'stage' }, timezone: 'Asia/Tokyo' }\n`)
  })
  afterAll(async () => {
    await destination.drop()
    await rm(project, { recursive: true, force: true })
  })

  it('a bad --date is exit 2 naming the value', async () => {
    for (const date of ['2024-02-30', '15/01/2024', 'yesterday']) {
      const { code, stderr } = await runElt(['load', '--date', date], env, project)
      expect(code).toBe(2)
      expect(stderr).toContain(`--date must be a day written YYYY-MM-DD, such as 2024-01-15; got "${date}".`)
    }
  })

  it('without --date the day is today in the config\'s timezone', async () => {
    // Kiritimati is UTC+14 all year (no daylight saving time): its date is not UTC's for 14 hours a day
    const kiritimati = await emptyProject(`export default { stage: { dir: 'stage' }, timezone: 'Pacific/Kiritimati' }\n`)
    try {
      const today = new Date(Date.now() + 14 * 3600_000).toISOString().slice(0, 10)
      const { code, stderr } = await runElt(['load'], env, kiritimati)
      expect(code).toBe(1)
      expect(stderr).toContain(`error: Day ${today} is not completely extracted`)
    } finally {
      await rm(kiritimati, { recursive: true, force: true })
    }
  })

  it('without a stage in the config, extract and load are exit 2 saying what to add', async () => {
    for (const command of ['extract', 'load']) {
      const { code, stderr } = await runElt([command, '--date', '2024-01-15'], env)
      expect(code).toBe(2)
      expect(stderr).toContain(`\`pnpm elt ${command}\` needs a stage folder, and the config has no "stage" setting. Add \`stage: { dir: 'data/stage' }\` to elt.config.ts`)
    }
  })

  it('a --select that is not source:<name> is exit 2', async () => {
    const { code, stderr } = await runElt(['load', '--date', '2024-01-15', '--select', 'source:nope'], env, project)
    expect(code).toBe(2)
    expect(stderr).toContain('--select "source:nope" names no configured source. Sources in the config: postgres.')
  })

  it('load of a day never extracted is exit 1, one paragraph naming the day, the folders and the extract to run; nothing changes', async () => {
    const catalog = () =>
      destination.query(`select n.nspname, c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
                          where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') order by 1, 2`)
    const before = await catalog()
    const { code, stdout, stderr } = await runElt(['load', '--date', '2024-01-15'], env, project)
    expect(code).toBe(1)
    expect(stdout).toBe('')
    const stage = path.join(project, 'stage')
    expect(stderr.trim()).toBe(
      `error: Day 2024-01-15 is not completely extracted in the stage ${stage}: missing postgres/<table>/2024-01-15/ (no finished extract of postgres for that day: postgres/_days/2024-01-15.json is missing). Nothing was loaded and the destination is unchanged. Run \`pnpm elt extract --date 2024-01-15 --select source:postgres\` first, then load the day again.`,
    )
    const json = await runElt(['load', '--date', '2024-01-15', '--json'], env, project)
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({ runId: null, status: 'error', date: '2024-01-15', tables: [] })
    expect(await catalog()).toEqual(before) // not even _elt was created
    expect(await destination.query(`select * from raw.films`)).toEqual([{ id: 1, title: 'kept' }])
  })
})
