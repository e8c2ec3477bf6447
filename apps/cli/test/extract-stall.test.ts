import path from 'node:path'
import { readdir, rm } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { connectClient, sleep } from '@elt/core'
import { createTestDatabase, stallingProxy, type StallingProxy, type TestDatabase } from '@elt/core/testing'
import { createBigAndSmall, eltSessions, emptyProject, runElt, spawnElt } from './replicate-helpers.ts'

let source: TestDatabase
let destination: TestDatabase
let proxy: StallingProxy
let project: string
beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'extract_stall_src')
  destination = await createTestDatabase(inject('pgAdminUrl'), 'extract_stall_dst')
  await createBigAndSmall(source, 1000)
  proxy = await stallingProxy(destination.url)
  project = await emptyProject(`export default ${JSON.stringify({ sources: { postgres: { kind: 'postgres' } }, stage: { dir: 'stage' } })}\n`)
})
afterAll(async () => {
  proxy?.destroy()
  await rm(project, { recursive: true, force: true })
  await source?.drop()
  await destination?.drop()
})

describe('elt extract, its records connection gone silent', () => {
  it('fails naming the stall instead of waiting for ever; the day extracted before stays published, and the rerun completes', async () => {
    const env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url }
    const first = await runElt(['extract', '--date', '2024-01-15'], env, project)
    expect(first.code, first.stderr).toBe(0)
    const published = async () => (await readdir(path.join(project, 'stage', 'postgres', 'public.big'))).filter((n) => n.startsWith('.'))

    const before = await published()
    const blocker = await connectClient({ label: 'destination', url: destination.url }, { applicationName: 'test-blocker' })
    const extract = spawnElt(['extract', '--date', '2024-01-15', '--config', path.join(project, 'elt.config.ts')], {
      ...env,
      DESTINATION_DATABASE_URL: proxy.url(destination.url),
      ELT_STALL_SECONDS: '2',
    })
    try {
      // a table's record waits on this lock; then every connection to the destination stops passing bytes
      await blocker.query('begin')
      await blocker.query('lock table _elt.stage_extracts in access exclusive mode')
      const waiting = async () => (await destination.query(`select 1 from pg_stat_activity where application_name = 'elt-extract-state' and wait_event_type = 'Lock'`)).length > 0
      for (const deadline = Date.now() + 30_000; !(await waiting()); await sleep(20)) {
        if (Date.now() > deadline || extract.child.exitCode !== null) throw new Error(`the extract never waited on the lock:\n${extract.stderr()}`)
      }
      proxy.cut() // their answers will never arrive; new connections work
      await blocker.query('commit')
      const ended = await Promise.race([extract.exited, sleep(40_000).then(() => undefined)])
      expect(ended, `still running 40 s after the cut:\n${extract.stderr()}`).toBeDefined()
      expect(ended!.code, extract.stderr()).toBe(1)
      expect(extract.stderr()).toMatch(/Nothing moved for \d+ s while recording the extract of postgres: public\.(big|small): the destination's session \(pid \d+\) has waited \d+ s for this process's next statement/)
      expect(await published()).toEqual(before) // the day as the first extract published it
      expect(await eltSessions(destination)).toEqual([])
    } finally {
      if (extract.child.exitCode === null) extract.child.kill('SIGKILL')
      await blocker.end().catch(() => {})
    }

    const rerun = await runElt(['extract', '--date', '2024-01-15'], env, project)
    expect(rerun.code, rerun.stderr).toBe(0)
    expect(await published()).not.toEqual(before)
  })
})
