import path from 'node:path'
import { readdir, rm } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, stallingProxy, type StallingProxy, type TestDatabase } from '@elt/core/testing'
import { createBigAndSmall, cutWhileWaitingOnLock, eltSessions, emptyProject, runElt } from './replicate-helpers.ts'

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
    // a table's record waits on a lock; then every connection to the destination stops passing bytes
    const at = { db: destination, proxy, table: '_elt.stage_extracts', applicationName: 'elt-extract-state', seconds: 40 }
    const argv = ['extract', '--date', '2024-01-15', '--config', path.join(project, 'elt.config.ts')]
    const { ended, stderr } = await cutWhileWaitingOnLock(argv, { ...env, DESTINATION_DATABASE_URL: proxy.url(destination.url), ELT_STALL_SECONDS: '2' }, at)
    expect(ended, `still running 40 s after the cut:\n${stderr}`).toBeDefined()
    expect(ended!.code, stderr).toBe(1)
    expect(stderr).toMatch(/Nothing moved for \d+ s while recording the extract of postgres: public\.(big|small): the destination's session \(pid \d+\) has waited \d+ s for this process's next statement/)
    expect(await published()).toEqual(before) // the day as the first extract published it
    expect(await eltSessions(destination)).toEqual([])

    const rerun = await runElt(['extract', '--date', '2024-01-15'], env, project)
    expect(rerun.code, rerun.stderr).toBe(0)
    expect(await published()).not.toEqual(before)
  })
})
