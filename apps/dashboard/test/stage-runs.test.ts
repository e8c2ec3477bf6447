import type {} from '@elt/core/testing/global-setup' // declares inject('pgAdminUrl')
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { runCli } from '@elt/cli'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { warehouseSource } from '../src/data/warehouse-source.ts'

/** The runs page's data for `elt extract` and `elt load` runs: their tables as steps and counts. */
describe('extract and load runs in the dashboard', () => {
  let source: TestDatabase
  let destination: TestDatabase
  let project: string
  let dashboard: ReturnType<typeof warehouseSource>
  beforeAll(async () => {
    source = await createTestDatabase(inject('pgAdminUrl'), 'dash_stage_src')
    destination = await createTestDatabase(inject('pgAdminUrl'), 'dash_stage_dst')
    await source.query(`create table films (id int primary key, title text); insert into films select i, 'film ' || i from generate_series(1, 30) i;
                        create table actors (id int primary key); insert into actors select generate_series(1, 5)`)
    project = await mkdtemp(path.join(tmpdir(), 'elt-dashboard-stage-'))
    await writeFile(path.join(project, 'elt.config.ts'), `export default { stage: { dir: 'stage' } }\n`)
    const env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url, ELT_CONNECT_TIMEOUT_SECONDS: '5' }
    for (const command of ['extract', 'load']) {
      let stderr = ''
      const code = await runCli([command, '--date', '2024-01-15'], { stdout: { write: () => true }, stderr: { write: (t: string) => (stderr += t) }, env, cwd: project })
      expect(code, stderr).toBe(0)
    }
    dashboard = warehouseSource({ destinationUrl: destination.url, manifestPath: path.join(project, 'target', 'manifest.json') })
  })
  afterAll(async () => {
    await dashboard?.close()
    await source?.drop()
    await destination?.drop()
    await rm(project, { recursive: true, force: true })
  })

  it('lists both runs with their tables counted, and the tables of an extract run as its steps', async () => {
    const runs = await dashboard.runs(10)
    expect(runs.map((r) => [r.command, r.status, r.counts.loads])).toEqual([
      ['load', 'success', { success: 2 }],
      ['extract', 'success', { success: 2 }],
    ])
    const extract = await dashboard.run(runs[1]!.id)
    expect(extract?.steps.map((s) => [s.kind, s.name, s.status, s.rows]).sort()).toEqual([
      ['extract', 'postgres: public.actors → stage 2024-01-15', 'success', 5],
      ['extract', 'postgres: public.films → stage 2024-01-15', 'success', 30],
    ])
    const load = await dashboard.run(runs[0]!.id)
    expect(load?.steps.map((s) => [s.kind, s.name, s.rows]).sort()).toEqual([
      ['load', 'raw.actors', 5],
      ['load', 'raw.films', 30],
    ])
  })

  it("shows a table written by an extract whose day was not published (recorded 'discarded') as skipped, with its message", async () => {
    const extractRun = (await dashboard.runs(10)).find((r) => r.command === 'extract')!
    await destination.query(`update _elt.stage_extracts set status = 'discarded', message = 'Written, then removed with the unpublished day of postgres: Cancelled by the user (Ctrl-C).' where run_id = $1 and stage_table = 'public.actors'`, [extractRun.id])
    try {
      expect((await dashboard.runs(10)).find((r) => r.id === extractRun.id)?.counts.loads).toEqual({ success: 1, skipped: 1 })
      expect((await dashboard.run(extractRun.id))?.steps.map((s) => [s.name, s.status, s.message]).sort()).toEqual([
        ['postgres: public.actors → stage 2024-01-15', 'skipped', 'Written, then removed with the unpublished day of postgres: Cancelled by the user (Ctrl-C).'],
        ['postgres: public.films → stage 2024-01-15', 'success', undefined],
      ])
    } finally {
      await destination.query(`update _elt.stage_extracts set status = 'done', message = null where run_id = $1`, [extractRun.id])
    }
  })
})
