import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { sleep } from '@elt/core'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { emptyProject, runElt, spawnElt } from './replicate-helpers.ts'

const bigRows = 2_000_000

let source: TestDatabase
let destination: TestDatabase
let env: Record<string, string>
let project: string
let config: string
beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'stage_cancel_src')
  destination = await createTestDatabase(inject('pgAdminUrl'), 'stage_cancel_dst')
  await source.query(`
    create table big (id bigint primary key, label text);
    insert into big select g, 'row ' || g || repeat('.', 30) from generate_series(1, ${bigRows}) g;
    create table small (id int primary key);
    insert into small select generate_series(1, 10);`)
  env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url }
  project = await emptyProject(`export default ${JSON.stringify({ sources: { postgres: { kind: 'postgres' } }, stage: { dir: 'stage' } })}\n`)
  config = path.join(project, 'elt.config.ts')
})
afterAll(async () => {
  await source.drop()
  await destination.drop()
})

/** Every file under the stage folder, relative to it. */
const stageFiles = async (dir = path.join(project, 'stage')): Promise<string[]> => {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  const nested = await Promise.all(entries.map(async (e) => (e.isDirectory() ? stageFiles(path.join(dir, e.name)) : [path.relative(path.join(project, 'stage'), path.join(dir, e.name))])))
  return nested.flat()
}

/** Sends SIGINT once `ready` says the work is in flight; the exit, the time it took and stderr. */
async function interrupt(argv: string[], ready: () => Promise<boolean>) {
  const run = spawnElt([...argv, '--config', config], env)
  try {
    let inFlight = false
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && !inFlight && run.child.exitCode === null; await sleep(20)) inFlight = await ready()
    expect(inFlight, run.stderr()).toBe(true)
    const signalled = performance.now()
    run.child.kill('SIGINT')
    const { code } = await run.exited
    return { code, seconds: (performance.now() - signalled) / 1000, stderr: run.stderr() }
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGKILL')
  }
}

const eltSessions = (db: TestDatabase) => db.query(`select application_name, state from pg_stat_activity where datname = current_database() and application_name like 'elt%'`)
const lastRun = async () => (await destination.query<{ command: string; status: string }>(`select command, status from _elt.runs order by started_at desc limit 1`))[0]

describe('elt extract and elt load, Ctrl-C mid-table', () => {
  it('extract: stops at once and leaves no file of the day; load: stops at once and leaves nothing half-loaded; both reruns complete', async () => {
    // extract, interrupted while the big table's part file is being written
    const extract = await interrupt(['extract', '--date', '2024-01-15', '--jobs', '2'], async () => (await stageFiles()).some((f) => f.includes('public.big') && f.includes('part-')))
    expect(extract.code, extract.stderr).toBe(1)
    expect(extract.seconds).toBeLessThan(10)
    expect(extract.stderr).toContain('Cancelled by the user (Ctrl-C).')
    expect((await stageFiles()).filter((f) => !f.endsWith('.extract.lock'))).toEqual([])
    expect(await lastRun()).toEqual({ command: 'extract', status: 'cancelled' })
    expect(await eltSessions(source)).toEqual([])
    const refused = await runElt(['load', '--date', '2024-01-15'], env, project)
    expect(refused.code).toBe(1) // the day was never published

    expect((await runElt(['extract', '--date', '2024-01-15'], env, project)).code).toBe(0)

    // load, interrupted mid-COPY of the big table (its first load: the table must not appear)
    const load = await interrupt(['load', '--date', '2024-01-15', '--jobs', '2'], async () => {
      const progress = await destination.query<{ n: string }>(`select coalesce(max(tuples_processed), 0) as n from pg_stat_progress_copy where datname = current_database()`)
      return Number(progress[0]?.n) > 100_000
    })
    expect(load.code, load.stderr).toBe(1)
    expect(load.seconds).toBeLessThan(10)
    expect(await lastRun()).toEqual({ command: 'load', status: 'cancelled' })
    expect(await destination.query(`select to_regclass('raw.big') as big`)).toEqual([{ big: null }])
    expect(await destination.query(`select relname from pg_class where relname like 'elt_new_%'`)).toEqual([])
    expect(await eltSessions(destination)).toEqual([])

    expect((await runElt(['load', '--date', '2024-01-15'], env, project)).code).toBe(0)
    expect(await destination.query(`select count(*)::int as n from raw.big`)).toEqual([{ n: bigRows }])
  })
})
