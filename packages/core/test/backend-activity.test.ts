import net from 'node:net'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { backendActivity, cancelBackends, connectClient, endBackend, freePort, sessionOf } from '../src/index.ts'
import { createTestDatabase, type TestDatabase } from '../src/testing/index.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'backend_activity')
})
afterAll(() => db.drop())

describe('backendActivity and endBackend', () => {
  it("says what another connection's session is doing, and ends it", async () => {
    const target = { label: 'destination', url: db.url }
    const client = await connectClient(target)
    client.on('error', () => {})
    const session = sessionOf(client, target)!
    const { pid } = session
    const received = session.bytesReceived()
    expect(pid).toBe((await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid)
    expect(session.bytesReceived()).toBeGreaterThan(received)
    await client.query('begin')
    await new Promise((resolve) => setTimeout(resolve, 300))
    const idle = await backendActivity({ target, pid })
    expect(idle).toMatchObject({ kind: 'session', state: 'idle in transaction', waitEventType: 'Client', waitEvent: 'ClientRead' })
    expect(idle.kind === 'session' && idle.stateSeconds).toBeGreaterThan(0.2)
    const sleeping = client.query('select pg_sleep(30)').catch((e: unknown) => e)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await backendActivity({ target, pid })).toMatchObject({ kind: 'session', state: 'active', waitEventType: 'Timeout', waitEvent: 'PgSleep' })
    expect(await endBackend({ target, pid })).toBe(true)
    expect(((await sleeping) as Error).message).toBe('terminating connection due to administrator command')
    expect(await backendActivity({ target, pid })).toEqual({ kind: 'gone' })
    expect(await endBackend({ target, pid })).toBe(false)
    await client.end().catch(() => {})
  })

  it('is unreachable, within its time, for a port nothing listens on and for a server that accepts but never answers', async () => {
    const closed = { label: 'source', url: Object.assign(new URL(db.url), { port: String(await freePort()) }).toString() }
    const refused = await backendActivity({ target: closed, pid: 1 }, { timeoutSeconds: 2 })
    expect(refused.kind).toBe('unreachable')
    expect(refused.kind === 'unreachable' && (refused.error as Error).message).toMatch(/^Could not reach the source database at 127\.0\.0\.1:\d+/)
    const silent = net.createServer(() => {}) // takes the connection, says nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    try {
      const mute = { label: 'source', url: Object.assign(new URL(db.url), { port: String((silent.address() as net.AddressInfo).port) }).toString() }
      const started = Date.now()
      const answer = await backendActivity({ target: mute, pid: 1 }, { timeoutSeconds: 2 })
      expect(answer.kind).toBe('unreachable')
      expect(Date.now() - started).toBeLessThan(4000)
      expect(await endBackend({ target: mute, pid: 1 }, { timeoutSeconds: 1 })).toBe(false)
    } finally {
      silent.close()
    }
  })

  it('cancels the statements sessions run; the sessions stay', async () => {
    const target = { label: 'destination', url: db.url }
    const clients = await Promise.all([connectClient(target), connectClient(target)])
    const pids = clients.map((c) => sessionOf(c, target)!.pid)
    const sleeping = clients.map((c) => c.query('select pg_sleep(30)').catch((e: unknown) => e))
    await new Promise((resolve) => setTimeout(resolve, 300))
    const started = Date.now()
    await cancelBackends(() => connectClient(target), pids)
    for (const outcome of await Promise.all(sleeping)) expect((outcome as { code?: string }).code).toBe('57014')
    expect(Date.now() - started).toBeLessThan(5000)
    for (const client of clients) expect((await client.query<{ one: number }>('select 1 as one')).rows[0]!.one).toBe(1)
    await Promise.all(clients.map((c) => c.end()))
  })
})
