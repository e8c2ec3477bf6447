import { readFile } from 'node:fs/promises'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { connectClient, connectionFailureOf, describeError, freePort, readEnvironment, redactUrl } from '../src/index.ts'
import { createTestDatabase, stallingProxy, type TestDatabase } from '../src/testing/index.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'connect')
})
afterAll(() => db.drop())

function withPassword(url: string, password: string): string {
  const u = new URL(url)
  u.password = password
  return u.toString()
}

describe('connectClient', () => {
  it('connects to a real server and runs a query', async () => {
    const client = await connectClient({ label: 'source', url: db.url })
    const { rows } = await client.query<{ n: number }>('select 40 + 2 as n')
    await client.end()
    expect(rows).toEqual([{ n: 42 }])
  })

  it('turns TCP keepalive on, so a peer that vanishes without closing is found (Linux: its timer in /proc/net/tcp)', async () => {
    const client = await connectClient({ label: 'source', url: db.url })
    try {
      const { rows } = await client.query<{ port: number }>('select client_port as port from pg_stat_activity where pid = pg_backend_pid()')
      const local = `0100007F:${rows[0]!.port.toString(16).toUpperCase().padStart(4, '0')}`
      const line = (await readFile('/proc/net/tcp', 'utf8')).split('\n').find((l) => l.trim().split(/\s+/)[1] === local)
      // fields: sl local rem st queues tr:when …; timer 2 is the keepalive timer of an idle socket (0: none)
      const [timer, when] = line!.trim().split(/\s+/)[5]!.split(':')
      expect(timer).toBe('02')
      expect(parseInt(when!, 16)).toBeGreaterThan(0)
    } finally {
      await client.end()
    }
  })

  it('ends a client whose server stopped answering within 5 s, closing its socket, instead of waiting for the server forever', async () => {
    const proxy = await stallingProxy(db.url)
    try {
      const client = await connectClient({ label: 'source', url: proxy.url(db.url) })
      expect((await client.query<{ n: number }>('select 1 as n')).rows).toEqual([{ n: 1 }])
      proxy.cut() // the goodbye never reaches the server, no close comes back
      const started = Date.now()
      await client.end()
      const waited = Date.now() - started
      expect(waited).toBeGreaterThanOrEqual(4900)
      expect(waited).toBeLessThan(7000)
      expect((client as unknown as { connection: { stream: net.Socket } }).connection.stream.destroyed).toBe(true)
    } finally {
      proxy.destroy()
    }
  })

  it('keeps what ended a connection lost while idle, where pg itself says only "not queryable"', async () => {
    const client = await connectClient({ label: 'destination', url: db.url })
    const admin = await connectClient({ label: 'destination', url: db.url })
    try {
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid')
      const lost = new Promise((resolve) => client.once('error', resolve))
      await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid])
      await lost
      const error = await client.query('select 1').catch((e: unknown) => e)
      expect((error as Error).message).toMatch(/not queryable/)
      const cause = connectionFailureOf(client, error) as Error & { code?: string }
      expect(cause.message).toBe('terminating connection due to administrator command')
      expect(cause.code).toBe('57P01')
      const other = new Error('relation "x" does not exist')
      expect(connectionFailureOf(admin, other)).toBe(other)
    } finally {
      await client.end().catch(() => {})
      await admin.end()
    }
  })

  it('names the database on a wrong password and never prints the password', async () => {
    const url = withPassword(db.url, 'Wr0ng-Pa55word')
    const error = await connectClient({ label: 'source', url, origin: 'SOURCE_DATABASE_URL' }, { waitSeconds: 1 }).catch((e: unknown) => e)
    const text = describeError(error)
    expect(text).toMatch(/Could not log in to the source database at 127\.0\.0\.1:\d+\/t_connect_/)
    expect(text).toContain('SOURCE_DATABASE_URL')
    expect(text).not.toContain('Wr0ng-Pa55word')
  })

  it('gives up on an unreachable port after the bounded wait', async () => {
    const port = await freePort()
    const started = Date.now()
    const error = await connectClient({ label: 'destination', url: `postgres://u:TopSecret@127.0.0.1:${port}/x` }, { waitSeconds: 1 }).catch((e: unknown) => e)
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    const text = describeError(error)
    expect(text).toContain(`Could not reach the destination database at 127.0.0.1:${port}/x after waiting 1 s`)
    expect(text).not.toContain('TopSecret')
  })

  it('reports a missing database by name', async () => {
    const u = new URL(db.url)
    u.pathname = '/no_such_db'
    const error = await connectClient({ label: 'source', url: u.toString() }, { waitSeconds: 1 }).catch((e: unknown) => e)
    expect(describeError(error)).toMatch(/source server at 127\.0\.0\.1:\d+\/no_such_db has no such database/)
  })
})

describe('readEnvironment', () => {
  it('uses the embedded default when neither URL is set', () => {
    expect(readEnvironment({})).toMatchObject({ sourceUrl: undefined, destinationUrl: undefined, retry: { maxRetries: 3, delaySeconds: 1 } })
  })
  it('rejects exactly one URL as a usage error (exit 2)', () => {
    expect(() => readEnvironment({ SOURCE_DATABASE_URL: 'postgres://a@b/c' })).toThrowError(/DESTINATION_DATABASE_URL is not set/)
    try {
      readEnvironment({ SOURCE_DATABASE_URL: 'postgres://a@b/c' })
    } catch (e) {
      expect((e as { exitCode: number }).exitCode).toBe(2)
    }
  })
  it('reads retry settings', () => {
    expect(readEnvironment({ ELT_MAX_RETRIES: '5', ELT_RETRY_DELAY_SECONDS: '0.2' }).retry).toEqual({ maxRetries: 5, delaySeconds: 0.2 })
    expect(() => readEnvironment({ ELT_MAX_RETRIES: 'many' })).toThrowError(/ELT_MAX_RETRIES must be a number/)
  })
  it('reads the stall watch seconds: 60 by default, at least 1', () => {
    expect(readEnvironment({}).stallSeconds).toBe(60)
    expect(readEnvironment({ ELT_STALL_SECONDS: '5' }).stallSeconds).toBe(5)
    expect(() => readEnvironment({ ELT_STALL_SECONDS: '0' })).toThrowError('ELT_STALL_SECONDS must be a number ≥ 1, got "0".')
  })
})

describe('redactUrl', () => {
  it('hides the password only', () => {
    expect(redactUrl('postgres://app:s3cret@db:5432/src')).toBe('postgres://app:***@db:5432/src')
    expect(redactUrl('postgres://app@db/src')).toBe('postgres://app@db/src')
  })
})

describe('redactSecrets', () => {
  it('scrubs known secrets and URL passwords from free text', async () => {
    const { redactSecrets } = await import('../src/redact.ts')
    expect(redactSecrets('login failed for s3cr3t-pw at postgres://u:s3cr3t-pw@h/db', ['s3cr3t-pw'])).toBe('login failed for *** at postgres://u:***@h/db')
  })
  it('does not mangle words around a very short password', async () => {
    const { redactSecrets } = await import('../src/redact.ts')
    expect(redactSecrets('database b failed: b', ['b'])).toBe('database *** failed: ***')
  })
})
