import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** A fresh database on the test server, dropped by `drop()`. */
export interface TestDatabase {
  name: string
  url: string
  /** Runs SQL on this database with a short-lived client. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>
  drop(): Promise<void>
}

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl)
  url.pathname = '/' + encodeURIComponent(database)
  return url.toString()
}

/**
 * Creates `t_<prefix>_<random>` on the server at `adminUrl`.
 *
 * ```ts
 * const db = await createTestDatabase(inject('pgAdminUrl'), 'replicate')
 * await db.query('create table t (id int primary key)')
 * ```
 */
export async function createTestDatabase(adminUrl: string, prefix = 'db'): Promise<TestDatabase> {
  const name = `t_${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`
  await runAdmin(adminUrl, `create database "${name}"`)
  const url = databaseUrl(adminUrl, name)
  return {
    name,
    url,
    async query(sql, params) {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      try {
        return (await client.query(sql, params)).rows
      } finally {
        await client.end()
      }
    },
    drop: () => runAdmin(adminUrl, `drop database if exists "${name}" with (force)`),
  }
}

/** Runs one statement as the server's superuser. */
export async function runAdmin(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}
