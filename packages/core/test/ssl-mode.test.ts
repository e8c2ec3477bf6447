import { chmod, copyFile, chown, mkdtemp, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { connectClient, describeError, exitCodeOf, sslSettings, startEmbeddedServer, type DatabaseTarget, type EmbeddedServer } from '../src/index.ts'
import { createTestDatabase, type TestDatabase } from '../src/testing/index.ts'

const tls = path.join(import.meta.dirname, 'fixtures', 'tls')
const caFile = path.join(tls, 'ca.crt')

/** `url` with its query replaced by `query`. */
function withQuery(url: string, query: string): string {
  const u = new URL(url)
  u.search = query
  return u.toString()
}

/** Connects, and answers whether the session is encrypted (pg_stat_ssl). */
async function encrypted(target: DatabaseTarget): Promise<boolean> {
  const client = await connectClient(target, { waitSeconds: 1 })
  try {
    const { rows } = await client.query<{ ssl: boolean }>('select ssl from pg_stat_ssl where pid = pg_backend_pid()')
    return rows[0]!.ssl
  } finally {
    await client.end()
  }
}

/** Runs `work` with every process warning (pg's SECURITY WARNING is one) collected. */
async function warningsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const warnings: string[] = []
  const emit = process.emitWarning
  process.emitWarning = ((warning: string | Error) => void warnings.push(String(warning))) as typeof process.emitWarning
  try {
    await work()
  } finally {
    process.emitWarning = emit
  }
  return warnings
}

describe('sslSettings', () => {
  it('maps each libpq mode to explicit pg settings and strips the SSL parameters', () => {
    const url = 'postgres://app:pw@db.example:5432/src'
    expect(sslSettings(url)).toEqual({ mode: 'prefer', connectionString: url, attempts: [{ rejectUnauthorized: false }, false] })
    expect(sslSettings(`${url}?sslmode=disable`)).toEqual({ mode: 'disable', connectionString: url, attempts: [false] })
    expect(sslSettings(`${url}?sslmode=allow`).attempts).toEqual([false, { rejectUnauthorized: false }])
    expect(sslSettings(`${url}?sslmode=require&application_name=x`)).toEqual({ mode: 'require', connectionString: `${url}?application_name=x`, attempts: [{ rejectUnauthorized: false }] })
    const verifyCa = sslSettings(`${url}?sslmode=verify-ca&sslrootcert=${caFile}`).attempts[0]
    expect(verifyCa).toMatchObject({ rejectUnauthorized: true, ca: expect.stringContaining('BEGIN CERTIFICATE') })
    expect(typeof (verifyCa as { checkServerIdentity?: unknown }).checkServerIdentity).toBe('function')
    expect(sslSettings(`${url}?sslmode=verify-full`).attempts).toEqual([{ rejectUnauthorized: true }])
    expect(sslSettings(`${url}?ssl=true`).mode).toBe('verify-full')
  })

  it('rejects an unknown mode, verify-ca without a CA and an unreadable file as usage errors', () => {
    const bad = (url: string) => {
      try {
        sslSettings(url, 'SOURCE_DATABASE_URL')
      } catch (error) {
        return { text: describeError(error), exit: exitCodeOf(error) }
      }
      throw new Error('no error')
    }
    expect(bad('postgres://a:pw@h/d?sslmode=required')).toEqual({
      text: 'Unknown sslmode=required in SOURCE_DATABASE_URL. Use one of disable, allow, prefer, require, verify-ca, verify-full.',
      exit: 2,
    })
    expect(bad('postgres://a:pw@h/d?sslmode=verify-ca').text).toMatch(/^sslmode=verify-ca in SOURCE_DATABASE_URL needs sslrootcert=/)
    expect(bad('postgres://a:pw@h/d?sslmode=verify-full&sslrootcert=/nowhere/ca.crt')).toEqual({
      text: 'Cannot read sslrootcert=/nowhere/ca.crt from SOURCE_DATABASE_URL: ENOENT. Point sslrootcert at a readable PEM file.',
      exit: 2,
    })
  })
})

describe('a server without SSL', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase(inject('pgAdminUrl'), 'ssl_none')
  })
  afterAll(() => db?.drop())

  it('connects unencrypted with disable, allow, prefer and no sslmode, printing no warning', async () => {
    const warnings = await warningsDuring(async () => {
      for (const query of ['sslmode=disable', 'sslmode=allow', 'sslmode=prefer', '']) {
        expect(await encrypted({ label: 'source', url: withQuery(db.url, query) }), query).toBe(false)
      }
    })
    expect(warnings).toEqual([])
  })

  it('reports a wrong password as such with allow and prefer (not the SSL refusal of the other attempt)', async () => {
    for (const mode of ['allow', 'prefer']) {
      const u = new URL(withQuery(db.url, `sslmode=${mode}`))
      u.password = 'Wr0ng-Pa55word'
      const error = await connectClient({ label: 'source', url: u.toString() }, { waitSeconds: 1 }).catch((e: unknown) => e)
      expect(describeError(error), mode).toMatch(/^Could not log in to the source database at 127\.0\.0\.1:\d+\/t_ssl_none_\w+ as "postgres": the server rejected the credentials\./)
    }
  })

  it('fails sslmode=require with one clear line, no password, no warning', async () => {
    const url = withQuery(db.url, 'sslmode=require')
    let error: unknown
    const warnings = await warningsDuring(async () => {
      error = await connectClient({ label: 'source', url, origin: 'SOURCE_DATABASE_URL' }, { waitSeconds: 1 }).catch((e: unknown) => e)
    })
    const text = describeError(error)
    expect(text).toMatch(/^The source server at 127\.0\.0\.1:\d+\/t_ssl_none_\w+ does not accept SSL connections, and the URL asks for sslmode=require\. Use sslmode=prefer or sslmode=disable for a server without SSL, or turn ssl on in its postgresql\.conf\. Check SOURCE_DATABASE_URL\.$/)
    expect(text).not.toContain(new URL(db.url).password)
    expect(warnings).toEqual([])
  })
})

describe('a server with SSL (a test certificate for 127.0.0.1 signed by a test CA)', () => {
  let server: EmbeddedServer
  let dir: string
  let url: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'elt-ssl-'))
    server = await startEmbeddedServer({ dir: path.join(dir, 'pg'), ephemeral: true })
    const owner = await stat(server.dataDir)
    for (const file of ['server.crt', 'server.key']) {
      await copyFile(path.join(tls, file), path.join(server.dataDir, file))
      await chown(path.join(server.dataDir, file), owner.uid, owner.gid)
      // PostgreSQL refuses a key others can read, and a git checkout does not keep the fixture's 0600
      await chmod(path.join(server.dataDir, file), 0o600)
    }
    const admin = await connectClient({ label: 'admin', url: server.urlFor('postgres') })
    await admin.query(`alter system set ssl = on`)
    await admin.query(`select pg_reload_conf()`)
    await admin.end()
    url = server.urlFor('postgres')
  }, 120_000)
  afterAll(async () => {
    await server?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('encrypts with prefer, require and verify-full against the CA; disable and allow stay unencrypted', async () => {
    const warnings = await warningsDuring(async () => {
      expect(await encrypted({ label: 'destination', url: withQuery(url, 'sslmode=prefer') })).toBe(true)
      expect(await encrypted({ label: 'destination', url: withQuery(url, 'sslmode=require') })).toBe(true)
      expect(await encrypted({ label: 'destination', url: withQuery(url, `sslmode=verify-ca&sslrootcert=${caFile}`) })).toBe(true)
      expect(await encrypted({ label: 'destination', url: withQuery(url, `sslmode=verify-full&sslrootcert=${caFile}`) })).toBe(true)
      expect(await encrypted({ label: 'destination', url: withQuery(url, 'sslmode=allow') })).toBe(false)
      expect(await encrypted({ label: 'destination', url: withQuery(url, 'sslmode=disable') })).toBe(false)
    })
    expect(warnings).toEqual([])
  })

  it('refuses a certificate it cannot verify with verify-full', async () => {
    const error = await connectClient({ label: 'destination', url: withQuery(url, 'sslmode=verify-full') }, { waitSeconds: 1 }).catch((e: unknown) => e)
    expect(describeError(error)).toMatch(
      /^The destination server's certificate at 127\.0\.0\.1:\d+\/postgres failed verification \(sslmode=verify-full\): unable to verify the first certificate\. Point sslrootcert at the certificate of the CA that signed it, or use sslmode=require to encrypt without verifying\.$/,
    )
  })
})
