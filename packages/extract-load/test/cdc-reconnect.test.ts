import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { passwordOf, startEmbeddedServer, type EmbeddedServer } from '@elt/core'
import { restartEmbeddedServer } from './helpers.ts'
import { createCdcPair, rowsOf, runCdc, waitFor } from './support/cdc-helpers.ts'

// --follow when a connection goes away: a server of its own (one test restarts it), wal_level=logical.

let dir: string
let server: EmbeddedServer
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'elt-cdc-reconnect-'))
  server = await startEmbeddedServer({ dir, ephemeral: true, walLevel: 'logical' })
})
afterAll(async () => {
  await server?.stop()
  await rm(dir, { recursive: true, force: true })
})

/** Fast shutdown, then a start on the same port and data (see `restartEmbeddedServer`). */
async function restart(): Promise<void> {
  server = await restartEmbeddedServer(server, { dir, ephemeral: true, walLevel: 'logical' })
}

type CdcPair = Awaited<ReturnType<typeof createCdcPair>>

/** A `--follow` of `tables` collecting its warnings; `stop()` ends it and returns its summary. */
function follow(pair: CdcPair, tables: string[]) {
  const controller = new AbortController()
  const warnings: string[] = []
  const logger = { debug() {}, info() {}, error() {}, warn: (m: string) => void warnings.push(m) }
  const running = runCdc(pair, tables, { follow: true, signal: controller.signal, logger, retry: { maxRetries: 3, delaySeconds: 0.2 } })
  running.catch(() => {})
  return {
    warnings,
    stop: async () => {
      controller.abort()
      return running
    },
    abort: () => controller.abort(),
  }
}

const walsender = async (pair: CdcPair) => (await pair.source.query<{ pid: number | null }>('select active_pid as pid from pg_replication_slots where slot_name = $1', [`elt_${pair.pipeline}`]))[0]?.pid ?? null
const countOf = async (pair: CdcPair, table: string) => Number((await pair.destination.query<{ n: string }>(`select count(*) as n from ${table}`))[0]?.n)

/** Terminates the destination backend applying changes once it has written in its open transaction; the number terminated. */
async function terminateApply(pair: CdcPair): Promise<number> {
  let terminated = 0
  await waitFor('the apply transaction to be open', async () => {
    const { length } = await pair.destination.query(
      `select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = 'elt-cdc-apply' and xact_start is not null and backend_xid is not null`,
    )
    terminated += length
    return length > 0
  })
  return terminated
}

describe('cdc --follow reconnects', () => {
  it('after pg_terminate_backend of its walsender: logs the cause, reconnects, later changes arrive', async () => {
    const pair = await createCdcPair(server.urlFor('postgres'), 'cdc_walsender')
    const following = { current: undefined as ReturnType<typeof follow> | undefined }
    try {
      await pair.source.query('create table t (id int primary key, v text)')
      await runCdc(pair, ['public.t'])
      const f = (following.current = follow(pair, ['public.t']))
      await pair.source.query(`insert into t values (1, 'before')`)
      await waitFor('the first insert', async () => (await countOf(pair, 'raw.t')) === 1)
      const first = await walsender(pair)
      await pair.source.query('select pg_terminate_backend($1)', [first])
      await pair.source.query(`insert into t values (2, 'after'); update t set v = 'changed' where id = 1`)
      await waitFor('the changes after the reconnect', async () => (await pair.destination.query(`select 1 from raw.t where id = 2 or v = 'changed'`)).length === 2)
      const summary = await f.stop()
      expect(await rowsOf(pair.destination, 'raw.t', 'id')).toEqual(await rowsOf(pair.source, 'public.t', 'id'))
      expect(summary.tables['public.t']).toEqual({ inserted: 2, updated: 1, deleted: 0, truncated: 0 })
      expect(f.warnings).toEqual([expect.stringMatching(/^cdc cdc_walsender_\w+: The connection to the source \(replication stream or heartbeat connection\) was lost while streaming slot "elt_cdc_walsender_\w+": terminating connection due to administrator command\..* Reconnecting now\.$/)])
      const password = passwordOf(pair.source.url)
      if (password) expect(f.warnings.join('\n')).not.toContain(password)
    } finally {
      following.current?.abort()
      await pair.drop()
    }
  })

  it('after a restart of the source server: waits for it, continues from the applied position', async () => {
    const pair = await createCdcPair(server.urlFor('postgres'), 'cdc_restart')
    const following = { current: undefined as ReturnType<typeof follow> | undefined }
    try {
      await pair.source.query('create table t (id int primary key, n int); create table counter (id int primary key, n int); insert into counter values (1, 0)')
      await runCdc(pair, ['public.t', 'public.counter'])
      const f = (following.current = follow(pair, ['public.t', 'public.counter']))
      for (let i = 1; i <= 20; i++) await pair.source.query(`begin; insert into t values (${i}, ${i}); update counter set n = n + 1; commit`)
      await restart()
      for (let i = 21; i <= 40; i++) await pair.source.query(`begin; insert into t values (${i}, ${i}); update counter set n = n + 1; commit`)
      await waitFor('the writes after the restart', async () => (await countOf(pair, 'raw.t')) === 40, 40)
      await f.stop()
      expect(await rowsOf(pair.destination, 'raw.t', 'id')).toEqual(await rowsOf(pair.source, 'public.t', 'id'))
      expect(await pair.destination.query('select n from raw.counter')).toEqual([{ n: 40 }])
      expect(f.warnings.length).toBeGreaterThan(0)
      expect(f.warnings.every((w) => /Reconnecting/.test(w))).toBe(true)
    } finally {
      following.current?.abort()
      await pair.drop()
    }
  })

  it('after the destination backend is terminated mid-apply: the transaction is rolled back, not acknowledged, applied once after the reconnect', async () => {
    const pair = await createCdcPair(server.urlFor('postgres'), 'cdc_dest_kill')
    const following = { current: undefined as ReturnType<typeof follow> | undefined }
    try {
      await pair.source.query('create table big (id int primary key, pad text); create table counter (id int primary key, n int); insert into counter values (1, 0)')
      await runCdc(pair, ['public.big', 'public.counter'])
      const f = (following.current = follow(pair, ['public.big', 'public.counter']))
      // one large source transaction: many set-based statements in one destination transaction
      await pair.source.query(`begin; insert into big select g, repeat('x', 100) from generate_series(1, 300000) g; update counter set n = n + 1; commit`)
      const terminated = await terminateApply(pair)
      await pair.source.query(`begin; insert into big values (0, 'after'); update counter set n = n + 1; commit`)
      await waitFor('everything applied after the reconnect', async () => (await pair.destination.query<{ n: number }>('select n from raw.counter'))[0]?.n === 2, 40)
      await f.stop()
      expect(terminated).toBe(1)
      expect(await countOf(pair, 'raw.big')).toBe(300001)
      expect(await rowsOf(pair.destination, 'raw.big', 'id')).toEqual(await rowsOf(pair.source, 'public.big', 'id'))
      expect(f.warnings).toEqual([expect.stringMatching(/The connection to the destination \(applying changes\) was lost .* Reconnecting in 0\.2 s \(attempt 1 of 3\)\./)])
    } finally {
      following.current?.abort()
      await pair.drop()
    }
  })

  it('without --follow, a lost destination connection fails the run naming it; the rerun applies the transaction once', async () => {
    const pair = await createCdcPair(server.urlFor('postgres'), 'cdc_once')
    try {
      await pair.source.query('create table big (id int primary key, pad text)')
      await runCdc(pair, ['public.big'])
      await pair.source.query(`insert into big select g, repeat('x', 100) from generate_series(1, 300000) g`)
      const run = runCdc(pair, ['public.big'])
      run.catch(() => {})
      await terminateApply(pair)
      await expect(run).rejects.toThrow(/^The connection to the destination \(applying changes\) was lost while streaming slot "elt_cdc_once_\w+": terminating connection due to administrator command\.$/)
      expect(await countOf(pair, 'raw.big')).toBe(0)
      await runCdc(pair, ['public.big'])
      expect(await countOf(pair, 'raw.big')).toBe(300000)
    } finally {
      await pair.drop()
    }
  })
})
