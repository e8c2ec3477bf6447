import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { describeError, embeddedDataDir, sharedBuffersMb, freePort, readEnvironment, resolveDatabases, runningPostmaster, startEmbeddedServer, type EmbeddedServer } from '../src/index.ts'
import setup from '../src/testing/global-setup.ts'
import { orphanEmbeddedServer } from '../src/testing/index.ts'

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
})

/** A folder like `mktemp -d` makes: mode 700, so only its owner can traverse it. */
async function privateFolder(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'elt-private-'))
  expect((await stat(dir)).mode & 0o777).toBe(0o700)
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** Removes the server's data wherever it lives (as root: outside the project). */
function forget(server: { dataDir: string }): void {
  cleanups.push(() => rm(process.getuid?.() === 0 ? path.dirname(server.dataDir) : server.dataDir, { recursive: true, force: true }))
}

async function query<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<R>(sql)).rows
  } finally {
    await client.end()
  }
}

const modesUpTo = async (dir: string) => {
  const modes: Record<string, number> = {}
  for (let current = dir; ; current = path.dirname(current)) {
    modes[current] = (await stat(current)).mode & 0o7777
    if (current === path.dirname(current)) return modes
  }
}

describe('the embedded server\'s cache size', () => {
  it('is a quarter of the memory, at least 128 MB and at most 1 GB', () => {
    expect([0.25, 1, 2, 4, 24].map((gib) => sharedBuffersMb(gib * 2 ** 30))).toEqual([128, 256, 512, 1024, 1024])
  })
})

describe('the embedded server in a checkout under a mode-700 folder', () => {
  it('starts, serves and stops without changing the mode of any folder', async () => {
    const home = await privateFolder() // like /root, or any `mktemp -d`
    const dir = path.join(home, 'checkout', '.elt', 'postgres')
    await mkdir(path.dirname(dir), { recursive: true })
    const before = await modesUpTo(path.dirname(dir))

    const server = await startEmbeddedServer({ dir })
    forget(server)
    let stopped = false
    try {
      expect(server.started).toBe(true)
      await query(server.urlFor('postgres'), 'create table films (id int primary key, title text)')
      await query(server.urlFor('postgres'), `insert into films values (1, 'Alien'), (2, 'Heat')`)
      expect(await query<{ title: string }>(server.urlFor('postgres'), 'select title from films order by id')).toEqual([{ title: 'Alien' }, { title: 'Heat' }])
      // a quarter of the machine's memory for its cache, 128 MB to 1 GB (not PostgreSQL's 128 MB default)
      const [row] = await query<{ mb: number }>(server.urlFor('postgres'), "select setting::int * 8 / 1024 as mb from pg_settings where name = 'shared_buffers'")
      expect(row?.mb).toBe(sharedBuffersMb(os.totalmem()))
      expect(await modesUpTo(path.dirname(dir))).toEqual(before)
      const running = await runningPostmaster(server.dataDir)
      expect(running).toBeDefined()
      if (process.getuid?.() === 0) {
        // As root: the postgres user runs a root-owned copy of the programs, on data outside the checkout.
        expect(await import('node:fs/promises').then((fs) => fs.readlink(`/proc/${running!.pid}/exe`))).toMatch(/^\/var\/lib\/elt\/postgres-[^/]+\/bin\/postgres$/)
        expect(server.dataDir.startsWith(home)).toBe(false)
        expect(await readFile(path.join(path.dirname(server.dataDir), 'project'), 'utf8')).toBe(dir + '\n')
      }
      await server.stop()
      stopped = true
      expect(await runningPostmaster(server.dataDir)).toBeUndefined()

      // The next start finds the same data (the state stays per project).
      const again = await startEmbeddedServer({ dir })
      try {
        expect(again.dataDir).toBe(server.dataDir)
        expect(await query<{ n: number }>(again.urlFor('postgres'), 'select count(*)::int as n from films')).toEqual([{ n: 2 }])
      } finally {
        await again.stop()
      }
      expect(await modesUpTo(path.dirname(dir))).toEqual(before)
    } finally {
      if (!stopped) await server.stop()
    }
  }, 180_000)
})

describe('data left in <dir>/data by an earlier version', () => {
  it('is moved to the data folder and keeps its databases (as root; otherwise it is the data folder)', async () => {
    const dir = path.join(await privateFolder(), '.elt', 'postgres')
    const first = await startEmbeddedServer({ dir })
    forget(first)
    await query(first.urlFor('postgres'), 'create table kept (id int primary key); insert into kept values (7)')
    await first.stop()
    const legacy = path.join(dir, 'data')
    if (process.getuid?.() !== 0) {
      expect(first.dataDir).toBe(legacy)
      return
    }
    await rename(first.dataDir, legacy) // the layout an earlier version left
    const again = await startEmbeddedServer({ dir })
    try {
      expect(again.dataDir).toBe(first.dataDir)
      expect(existsSync(legacy)).toBe(false)
      expect(await query<{ id: number }>(again.urlFor('postgres'), 'select id from kept')).toEqual([{ id: 7 }])
    } finally {
      await again.stop()
    }
  }, 180_000)
})

describe('a server that cannot start', () => {
  let blocker: Server
  afterAll(() => new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve())))

  it('says why, quoting the server log', async () => {
    const port = await freePort()
    blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve))
    const dir = path.join(await privateFolder(), 'pg')
    const error = await startEmbeddedServer({ dir, port, ephemeral: true }).catch((e: unknown) => e)
    forget({ dataDir: await embeddedDataDir(dir) })
    const text = describeError(error)
    expect(text).toContain(`Could not start the embedded PostgreSQL in ${await embeddedDataDir(dir)}: the server exited during start-up (exit code 1).`)
    expect(text).toContain(`Server log (${path.join(dir, 'server.log')}):`)
    expect(text).toMatch(/could not bind IPv4 address "127\.0\.0\.1": Address already in use/)
  }, 120_000)

  it('prints its cause from the test setup instead of failing silently', async () => {
    const written: string[] = []
    const write = process.stderr.write.bind(process.stderr)
    const tmpdir = process.env.TMPDIR
    process.env.TMPDIR = path.join(await privateFolder(), 'missing') // the test server's folder cannot be created
    process.stderr.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stderr.write
    try {
      const project = { name: 'core', provide: () => {} } as unknown as Parameters<typeof setup>[0]
      await expect(setup(project)).rejects.toThrow(/ENOENT/)
    } finally {
      process.stderr.write = write
      if (tmpdir === undefined) delete process.env.TMPDIR
      else process.env.TMPDIR = tmpdir
    }
    expect(written.join('')).toMatch(/Could not start the PostgreSQL server for the tests of core:\nENOENT: no such file or directory, mkdtemp '.*\/missing\/elt-test-pg-\w+'/)
  })
})

describe('a server left running by a killed process', () => {
  it('is adopted by the next command and stopped when that command releases it', async () => {
    const projectDir = path.join(await privateFolder(), 'project')
    const dir = path.join(projectDir, '.elt', 'postgres')
    await mkdir(path.join(projectDir, 'source_db_init'), { recursive: true })
    await writeFile(path.join(projectDir, 'source_db_init', 'init.sql'), 'create table films (id int primary key);')
    await orphanEmbeddedServer(dir)
    const dataDir = await embeddedDataDir(dir)
    forget({ dataDir })
    const orphan = await runningPostmaster(dataDir)
    expect(orphan).toBeDefined()

    const databases = await resolveDatabases(readEnvironment({}), { projectDir })
    expect(databases.embedded?.started).toBe(false)
    expect(databases.embedded?.port).toBe(orphan!.port)
    expect(await query<{ n: number }>(databases.source.url, 'select count(*)::int as n from films')).toEqual([{ n: 0 }])
    await databases.release()
    expect(await runningPostmaster(dataDir)).toBeUndefined()
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false)
  }, 180_000)

  it('keeps running after a release with keepRunning, and while another live process uses it', async () => {
    const dir = path.join(await privateFolder(), '.elt', 'postgres')
    const service = await startEmbeddedServer({ dir, keepRunning: true })
    forget(service)
    const command: EmbeddedServer = await startEmbeddedServer({ dir })
    expect(command.started).toBe(false)
    await command.stop() // the service still uses it
    expect(await runningPostmaster(service.dataDir)).toBeDefined()
    await service.stop() // a service's release leaves it running
    const running = await runningPostmaster(service.dataDir)
    expect(running).toBeDefined()
    expect(await query<{ one: number }>(service.urlFor('postgres'), 'select 1 as one')).toEqual([{ one: 1 }])

    const last = await startEmbeddedServer({ dir })
    await last.stop() // the last user leaves: stopped
    expect(await runningPostmaster(service.dataDir)).toBeUndefined()
  }, 180_000)
})
