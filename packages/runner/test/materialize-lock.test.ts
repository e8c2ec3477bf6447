import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import pg from 'pg'
import { describeError } from '@elt/core'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { materializeModel } from '../src/index.ts'
import { build, clientOf } from './db-helpers.ts'
import { filmSummary, project, rawDdl, stgFilms } from './fixtures.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'materialize_lock')
  await db.query(rawDdl)
  expect((await build(db, project())).status).toBe('success')
})
afterAll(() => db.drop())

const lockWait = { lockTimeoutMs: 100, retries: 1, backoffMs: 50 }
const oidOf = async (name: string) => (await db.query<{ oid: number }>(`select to_regclass($1)::oid::int as oid`, [name]))[0]?.oid

/** A BI session whose open transaction read `relation` (ACCESS SHARE held until `end()`). */
async function longReader(relation: string): Promise<{ pid: number; end(): Promise<void> }> {
  const client = new pg.Client({ connectionString: db.url, application_name: 'bi-tool' })
  await client.connect()
  await client.query('begin')
  const { rows } = await client.query<{ pid: number }>(`select pg_backend_pid() as pid, (select count(*) from ${relation}) as n`)
  return { pid: rows[0]!.pid, end: async () => void (await client.end()) }
}

describe('model builds wait for readers a bounded time', () => {
  it('a table model fails naming the session that holds it, and the previous table stays', async () => {
    const before = await oidOf('analytics.film_summary')
    const reader = await longReader('analytics.film_summary')
    const client = await clientOf(db)
    try {
      const sql = `select f.film_id, f.title, count(fa.actor_id) as actors from raw.films f left join raw.film_actors fa using (film_id) group by 1, 2`
      const error = await materializeModel(client, { model: filmSummary, schema: 'analytics', sql, fullRefresh: false, lockWait }).catch((e: unknown) => e)
      expect(describeError(error)).toMatch(
        new RegExp(`^Could not replace "analytics"\\."film_summary": other sessions held locks on it through 2 waits .*pid ${reader.pid} \\(application "bi-tool", .*idle in transaction, query started .*\\) holds AccessShareLock on analytics\\.film_summary`),
      )
    } finally {
      await reader.end()
      await client.end()
    }
    expect(await oidOf('analytics.film_summary')).toBe(before)
    expect(await oidOf('analytics.film_summary__next')).toBeNull()
  }, 20_000)

  it('a view model fails naming the session that holds it', async () => {
    const reader = await longReader('analytics.stg_films')
    const client = await clientOf(db)
    try {
      const sql = `select film_id, title, user_rating from raw.films where film_id > 0`
      const error = await materializeModel(client, { model: stgFilms, schema: 'analytics', sql, fullRefresh: false, lockWait }).catch((e: unknown) => e)
      expect(describeError(error)).toMatch(new RegExp(`^Could not replace "analytics"\\."stg_films": .*pid ${reader.pid} \\(application "bi-tool", .*holds AccessShareLock on analytics\\.stg_films`))
    } finally {
      await reader.end()
      await client.end()
    }
    expect(await db.query(`select pg_get_viewdef('analytics.stg_films'::regclass) like '%film_id > 0%' as changed`)).toEqual([{ changed: false }])
  }, 20_000)
})
