import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import pg from 'pg'
import type { DatabaseTarget } from '../connect.ts'
import { EltError } from '../elt-error.ts'
import type { EltEnvironment } from '../environment.ts'
import type { Logger } from '../logger.ts'
import { startEmbeddedServer, type EmbeddedServer } from './embedded-server.ts'

/** The two databases a command works with, and the embedded server behind them when there is one. */
export interface Databases {
  source: DatabaseTarget
  destination: DatabaseTarget
  /** Set when the embedded default is in use. */
  embedded: EmbeddedServer | undefined
  /** Ends the command's use of the databases: stops the embedded server (see {@link EmbeddedServer.stop}). */
  release(): Promise<void>
}

export interface ResolveOptions {
  /** Project root: the embedded server lives in `<projectDir>/.elt/postgres`. */
  projectDir: string
  /** SQL run once into a freshly created source database. Default `<projectDir>/source_db_init/init.sql`. */
  seedFile?: string
  /**
   * Set when nothing reads the source database (no `postgres` source without a `url` of its own):
   * a missing seed file then leaves `source_db` empty instead of failing.
   */
  sourceDatabaseUnused?: boolean
  /** Leave the embedded server running on `release()` (a service that owns it). Default: stop it. */
  keepRunning?: boolean
  /**
   * `logical` when the source feeds change data capture (tables with strategy `cdc`); default
   * `minimal`: measured on one server, a 1,000,000-row replicate takes 2.2 s and writes no WAL at
   * `minimal`, 3.2 s and 168 MB of WAL at `logical` (the load into the destination on the same server).
   */
  walLevel?: 'minimal' | 'logical'
  logger?: Logger
}

export const embeddedDatabaseNames = { source: 'source_db', destination: 'destination_db' } as const
const seededMarker = 'elt: seeded from source_db_init'

/**
 * With both URLs set, returns them and starts nothing. With neither set, starts
 * (or adopts) the embedded PostgreSQL under `.elt/`, creates `source_db` and
 * `destination_db`, and seeds `source_db` from `source_db_init/init.sql` the first time (a
 * project whose sources do not read it needs no seed file).
 * `release()` stops that server (started or adopted) unless another process still uses it
 * or `keepRunning` is set.
 */
export async function resolveDatabases(env: EltEnvironment, options: ResolveOptions): Promise<Databases> {
  if (env.sourceUrl && env.destinationUrl) {
    return {
      source: { label: 'source', url: env.sourceUrl, origin: 'SOURCE_DATABASE_URL' },
      destination: { label: 'destination', url: env.destinationUrl, origin: 'DESTINATION_DATABASE_URL' },
      embedded: undefined,
      release: async () => {},
    }
  }
  const server = await startEmbeddedServer({ dir: path.join(options.projectDir, '.elt', 'postgres'), keepRunning: options.keepRunning, logger: options.logger, ...(options.walLevel ? { walLevel: options.walLevel } : {}) })
  try {
    const seedFile = options.seedFile ?? path.join(options.projectDir, 'source_db_init', 'init.sql')
    const seed = options.sourceDatabaseUnused && !existsSync(seedFile) ? undefined : seedFile
    await ensureDatabase(server, embeddedDatabaseNames.source, seed, options.logger)
    await ensureDatabase(server, embeddedDatabaseNames.destination, undefined, options.logger)
  } catch (error) {
    await server.stop()
    throw error
  }
  return {
    source: { label: 'source', url: server.urlFor(embeddedDatabaseNames.source), origin: 'the embedded default (.elt/postgres)' },
    destination: { label: 'destination', url: server.urlFor(embeddedDatabaseNames.destination), origin: 'the embedded default (.elt/postgres)' },
    embedded: server,
    release: () => server.stop(),
  }
}

/** Creates `name` if missing and runs `seedFile` into it; a database whose seeding did not finish is recreated. */
async function ensureDatabase(server: EmbeddedServer, name: string, seedFile: string | undefined, logger?: Logger): Promise<void> {
  const admin = new pg.Client({ connectionString: server.urlFor('postgres') })
  await admin.connect()
  try {
    const { rows } = await admin.query<{ comment: string | null }>(
      `select shobj_description(oid, 'pg_database') as comment from pg_database where datname = $1`,
      [name],
    )
    const complete = rows.length === 1 && (seedFile === undefined || rows[0]?.comment === seededMarker)
    if (complete) return
    const ident = admin.escapeIdentifier(name)
    if (rows.length === 1) await admin.query(`drop database ${ident} with (force)`)
    await admin.query(`create database ${ident}`)
    if (seedFile) {
      logger?.info(`seeding ${name} from ${path.relative(process.cwd(), seedFile) || seedFile}`)
      const sql = await readFile(seedFile, 'utf8').catch((error: unknown) => {
        throw new EltError(`Cannot read the seed file ${seedFile}.`, { hint: 'Restore source_db_init/init.sql or set SOURCE_DATABASE_URL.', cause: error })
      })
      const db = new pg.Client({ connectionString: server.urlFor(name) })
      await db.connect()
      try {
        await db.query(sql)
      } catch (error) {
        throw new EltError(`Seeding ${name} from ${seedFile} failed: ${error instanceof Error ? error.message : String(error)}.`, {
          hint: 'Fix the SQL in the seed file; the next run recreates the database and seeds it again.',
          cause: error,
        })
      } finally {
        await db.end()
      }
      await admin.query(`comment on database ${ident} is '${seededMarker}'`)
    }
  } finally {
    await admin.end()
  }
}
