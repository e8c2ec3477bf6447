import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import pg from 'pg'
import { describeError, sleep } from '@elt/core'
import { createPair, replicatePair, tableRows, type Pair } from './helpers.ts'

let pair: Pair
beforeAll(async () => {
  pair = await createPair(inject('pgAdminUrl'), 'swap_lock')
  await pair.source.query(`create table users (id int primary key, name text); insert into users select g, 'u' || g from generate_series(1, 100) g`)
  await replicatePair(pair)
})
afterAll(() => pair.drop())

/** A session of the BI tool: a transaction that read `raw.users` and holds its ACCESS SHARE lock until `end()`. */
async function longReader(): Promise<{ pid: number; queryStart: Date; rows: number; end(): Promise<void> }> {
  const client = new pg.Client({ connectionString: pair.destination.url, application_name: 'bi-dashboard' })
  await client.connect()
  await client.query('begin')
  const { rows } = await client.query<{ n: number; pid: number }>('select count(*)::int as n, pg_backend_pid() as pid from raw.users')
  const pid = rows[0]!.pid
  const activity = await pair.destination.query<{ query_start: Date }>('select query_start from pg_stat_activity where pid = $1', [pid])
  return {
    pid,
    queryStart: activity[0]!.query_start,
    rows: rows[0]!.n,
    end: async () => {
      await client.query('commit').catch(() => {})
      await client.end()
    },
  }
}

/** Whether some session is waiting for a lock on `raw.users` right now. */
const swapWaiting = async () =>
  (await pair.destination.query(`select 1 from pg_locks where not granted and relation = to_regclass('raw.users')`)).length > 0

/** Polls `condition` every 10 ms, for at most 20 s. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await condition()) return
    await sleep(10)
  }
  throw new Error('condition not reached in 20 s')
}

describe('swap lock wait', () => {
  it('fails the table after the lock wait, naming the session in the way, and keeps the previous copy', async () => {
    await pair.source.query(`insert into users select g, 'u' || g from generate_series(101, 150) g`)
    const reader = await longReader()
    try {
      const error = await replicatePair(pair, { swapLockWait: { lockTimeoutMs: 100, retries: 2, backoffMs: 50 } }).catch((e: unknown) => e)
      const text = describeError(error)
      expect(text).toContain('Could not replace "raw"."users": other sessions held locks on it through 3 waits')
      expect(text).toContain(`pid ${reader.pid} (application "bi-dashboard", user "`)
      expect(text).toContain(`idle in transaction, query started ${reader.queryStart.toISOString()}) holds AccessShareLock on raw.users`)
      expect(text).toContain('Nothing was changed by this step')
      expect(await pair.destination.query('select count(*)::int as n from raw.users')).toEqual([{ n: 100 }]) // the previous copy
      const loads = await pair.destination.query(`select status from _elt.table_loads where target_table = 'raw.users' order by started_at desc limit 1`)
      expect(loads).toEqual([{ status: 'error' }])
    } finally {
      await reader.end()
    }
  }, 20_000)

  it('swaps once a reader that was in the way finishes during the retries', async () => {
    const reader = await longReader()
    let ended = false
    const release = (async () => {
      await until(swapWaiting) // the first attempt waits …
      await until(async () => !(await swapWaiting())) // … times out and pauses …
      await until(swapWaiting) // … and tries again: the reader now finishes
      await reader.end()
      ended = true
    })()
    try {
      const { summary } = await replicatePair(pair, { swapLockWait: { lockTimeoutMs: 300, retries: 20, backoffMs: 100 } })
      await release
      expect(ended).toBe(true)
      expect(reader.rows).toBe(100)
      expect(summary.status).toBe('success')
      expect(await tableRows(pair.destination, 'raw', 'users')).toEqual(await tableRows(pair.source, 'public', 'users'))
      expect(await pair.destination.query('select count(*)::int as n from raw.users')).toEqual([{ n: 150 }])
    } finally {
      if (!ended) await reader.end()
    }
  }, 30_000)
})
