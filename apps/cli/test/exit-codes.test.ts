import { describe, expect, it } from 'vitest'
import { freePort } from '@elt/core'
import { spawnElt } from './replicate-helpers.ts'

// The real process, not runCli in-process: its exit code is what schedulers see.
describe('exit codes of the real elt process', () => {
  it('exits 1 when a database is unreachable, without printing the password', async () => {
    const port = await freePort()
    const { exited, stderr } = spawnElt(['replicate'], {
      SOURCE_DATABASE_URL: `postgres://app:Sup3rSecret@127.0.0.1:${port}/src`,
      DESTINATION_DATABASE_URL: `postgres://app:Sup3rSecret@127.0.0.1:${port}/dst`,
      ELT_CONNECT_TIMEOUT_SECONDS: '1',
    })
    const { code, stdout } = await exited
    expect(code).toBe(1)
    expect(stderr()).toMatch(/Could not reach the (source|destination) database at 127\.0\.0\.1:\d+\/(src|dst) after waiting 1 s/)
    expect(stdout + stderr()).not.toContain('Sup3rSecret')
  })

  it('exits 2 on bad usage', async () => {
    const unknown = spawnElt(['frobnicate'], {})
    expect((await unknown.exited).code).toBe(2)
    expect(unknown.stderr()).toContain('unknown command "frobnicate"')
    const half = spawnElt(['replicate'], { SOURCE_DATABASE_URL: 'postgres://a@127.0.0.1/x', DESTINATION_DATABASE_URL: '' })
    expect((await half.exited).code).toBe(2)
    expect(half.stderr()).toContain('DESTINATION_DATABASE_URL is not set')
  })
})
