import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { copiedSoFar, createBigAndSmall, eltSessions, emptyProject, interruptElt, runElt } from './replicate-helpers.ts'

const bigRows = 2_000_000

let source: TestDatabase
let destination: TestDatabase
let env: Record<string, string>
let project: string
let config: string
beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'stage_cancel_src')
  destination = await createTestDatabase(inject('pgAdminUrl'), 'stage_cancel_dst')
  await createBigAndSmall(source, bigRows)
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

const lastRun = async () => (await destination.query<{ command: string; status: string }>(`select command, status from _elt.runs order by started_at desc limit 1`))[0]

describe('elt extract and elt load, Ctrl-C mid-table', () => {
  it('extract: stops at once and leaves no file of the day; load: stops at once and leaves nothing half-loaded; both reruns complete', async () => {
    // extract, interrupted while the big table's part file is being written
    const extract = await interruptElt(['extract', '--date', '2024-01-15', '--jobs', '2', '--config', config], env, async () => {
      const files = await stageFiles()
      return files.some((f) => f.includes('public.big') && f.includes('part-')) && files.some((f) => f.includes('public.small') && f.endsWith('_manifest.json'))
    })
    expect(extract.code, extract.stderr).toBe(1)
    expect(extract.seconds).toBeLessThan(10)
    expect(extract.stderr).toContain('Cancelled by the user (Ctrl-C).')
    expect((await stageFiles()).filter((f) => !f.endsWith('.extract.lock'))).toEqual([])
    expect(await lastRun()).toEqual({ command: 'extract', status: 'cancelled' })
    // the table written before Ctrl-C is not recorded `done`: its files went with the unpublished day
    expect(
      await destination.query(`select stage_table, status, message from _elt.stage_extracts where run_id = (select run_id from _elt.runs where command = 'extract') order by stage_table`),
    ).toEqual([
      { stage_table: 'public.big', status: 'error', message: 'Cancelled by the user (Ctrl-C).' },
      { stage_table: 'public.small', status: 'discarded', message: 'Written, then removed with the unpublished day of postgres: Cancelled by the user (Ctrl-C).' },
    ])
    expect(await eltSessions(source)).toEqual([])
    const refused = await runElt(['load', '--date', '2024-01-15'], env, project)
    expect(refused.code).toBe(1) // the day was never published

    expect((await runElt(['extract', '--date', '2024-01-15'], env, project)).code).toBe(0)

    // load, interrupted mid-COPY of the big table (its first load: the table must not appear)
    const load = await interruptElt(['load', '--date', '2024-01-15', '--jobs', '2', '--config', config], env, async () => (await copiedSoFar(destination)) > 100_000)
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
