import path from 'node:path'
import { rm } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, stallingProxy, type StallingProxy, type TestDatabase } from '@elt/core/testing'
import { cutWhileWaitingOnLock, eltSessions, emptyProject, runElt } from './replicate-helpers.ts'

let source: TestDatabase
let destination: TestDatabase
let proxy: StallingProxy
let project: string
beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'one_shot_stall_src')
  destination = await createTestDatabase(inject('pgAdminUrl'), 'one_shot_stall_dst')
  await source.query(`create table accounts (id int primary key, name text)`)
  proxy = await stallingProxy(destination.url)
  project = await emptyProject(`export default { replicate: { tables: { 'public.accounts': { strategy: 'cdc' } } } }\n`)
})
afterAll(async () => {
  proxy?.destroy()
  await rm(project, { recursive: true, force: true })
  await source?.drop()
  await destination?.drop()
})

describe('a one-shot command whose destination connection goes silent', () => {
  it('cdc status fails naming the stall within ELT_STALL_SECONDS instead of waiting for ever, and leaves no session behind', async () => {
    // the cdc state tables exist (a first status, straight to the destination)
    const first = await runElt(['cdc', 'status'], { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url }, project)
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toContain('no slot elt_postgres')

    // the status's read of the state waits on a lock; then its connection stops passing bytes
    const env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: proxy.url(destination.url), ELT_STALL_SECONDS: '2' }
    const at = { db: destination, proxy, table: '_elt.cdc_pipelines', applicationName: 'elt-cdc', seconds: 30 }
    const { ended, stderr } = await cutWhileWaitingOnLock(['cdc', 'status', '--config', path.join(project, 'elt.config.ts')], env, at)
    expect(ended, `still running 30 s after the cut:\n${stderr}`).toBeDefined()
    expect(ended!.code, stderr).toBe(1)
    expect(stderr).toMatch(/Nothing moved for \d+ s while reading the cdc status: .*the destination's session \(pid \d+\) has waited \d+ s for this process's next statement/)
    // its sessions were ended, not left to the servers' keepalive
    expect(await eltSessions(destination)).toEqual([])
    expect(await eltSessions(source)).toEqual([])
  })
})
