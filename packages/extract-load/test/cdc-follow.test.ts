import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stallingProxy, startTestServer, type TestServer } from '@elt/core/testing'
import { describeError, sleep } from '@elt/core'
import { createCdcPair, rowsOf, runCdc, waitFor } from './support/cdc-helpers.ts'

let server: TestServer
beforeAll(async () => {
  server = await startTestServer(process.env, { walLevel: 'logical' })
})
afterAll(async () => {
  await server?.stop()
})

describe('cdc --follow', () => {
  it('applies a source transaction over 3 tables (inserts, updates, deletes, truncate) atomically', async () => {
    const pair = await createCdcPair(server.adminUrl, 'cdc_atomic')
    const controller = new AbortController()
    try {
      await pair.source.query(`create table a (id int primary key, v int); create table b (id int primary key, v int); create table c (id int primary key, v int);
        insert into a select g, 0 from generate_series(1, 100) g; insert into b select g, 0 from generate_series(1, 100) g; insert into c select g, 0 from generate_series(1, 100) g`)
      await runCdc(pair, ['public.a', 'public.b', 'public.c'])
      const following = runCdc(pair, ['public.a', 'public.b', 'public.c'], { follow: true, signal: controller.signal })
      // every source transaction keeps: same row count and same sum of v in a, b and c
      const reader = new pg.Client({ connectionString: pair.destination.url })
      await reader.connect()
      let stopReading = false
      const seen: string[] = []
      const reading = (async () => {
        while (!stopReading) {
          const { rows } = await reader.query<{ s: string }>(`select concat_ws(' ', (select count(*) || ':' || coalesce(sum(v), 0) from raw.a), (select count(*) || ':' || coalesce(sum(v), 0) from raw.b), (select count(*) || ':' || coalesce(sum(v), 0) from raw.c)) as s`)
          seen.push(rows[0]!.s)
        }
      })()
      for (let i = 1; i <= 30; i++) {
        const t = i % 10 === 0 ? 'truncate a, b, c; insert into a values (1, 0); insert into b values (1, 0); insert into c values (1, 0);' : ''
        await pair.source.query(`begin; ${t} insert into a values (${1000 + i}, ${i}); insert into b values (${1000 + i}, ${i}); insert into c values (${1000 + i}, ${i});
          update a set v = v + 1 where id = 1; update b set v = v + 1 where id = 1; update c set v = v + 1 where id = 1;
          delete from a where id = ${100 - i}; delete from b where id = ${100 - i}; delete from c where id = ${100 - i}; commit`)
      }
      const lsn = (await pair.source.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn'))[0]!.lsn
      // the slot is confirmed past a position only once everything before it is committed in the destination
      await waitFor('the last transaction applied', async () => (await pair.source.query<{ ok: boolean }>('select confirmed_flush_lsn >= $1::pg_lsn as ok from pg_replication_slots where slot_name = $2', [lsn, `elt_${pair.pipeline}`]))[0]?.ok === true)
      stopReading = true
      await reading
      await reader.end()
      controller.abort()
      await following
      for (const table of ['a', 'b', 'c']) expect(await rowsOf(pair.destination, `raw.${table}`, 'id')).toEqual(await rowsOf(pair.source, `public.${table}`, 'id'))
      expect(seen.length).toBeGreaterThan(0)
      for (const s of seen) {
        const [x, y, z] = s.split(' ')
        expect([y, z]).toEqual([x, x])
      }
    } finally {
      controller.abort()
      await pair.drop()
    }
  })

  it('after kill -9 during follow, a restart applies exactly the changes not yet committed in the destination', async () => {
    const pair = await createCdcPair(server.adminUrl, 'cdc_kill')
    try {
      await pair.source.query(`create table events (n int, note text); alter table events replica identity full; create table counters (id int primary key, n int); insert into counters values (1, 0)`)
      await runCdc(pair, ['public.events', 'public.counters'])
      const script = fileURLToPath(new URL('./support/cdc-follow-process.ts', import.meta.url))
      const child = spawn(process.execPath, ['--import', 'tsx', script, pair.source.url, pair.destination.url, pair.pipeline, 'public.events,public.counters'], { stdio: ['ignore', 'pipe', 'pipe'] })
      let applied = 0
      child.stdout.on('data', (chunk: Buffer) => (applied += chunk.toString().split('\n').filter((l) => l.startsWith('applied')).length))
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
      let i = 0
      const write = async () => {
        i++
        await pair.source.query(`begin; insert into events select ${i}, 'x' from generate_series(1, 50); update counters set n = n + 1; commit`)
      }
      try {
        await waitFor('the follower to apply', async () => {
          await write()
          return applied >= 20
        })
        for (let k = 0; k < 20; k++) await write() // in flight when killed
        child.kill('SIGKILL')
        await exited
      } finally {
        child.kill('SIGKILL')
      }
      for (let k = 0; k < 10; k++) await write()
      await runCdc(pair, ['public.events', 'public.counters'])
      expect(await rowsOf(pair.destination, 'raw.events', 'n, note')).toEqual(await rowsOf(pair.source, 'public.events', 'n, note'))
      expect(await pair.destination.query('select n from raw.counters')).toEqual([{ n: i }])
    } finally {
      await pair.drop()
    }
  })

  it('an idle publication does not pin WAL: heartbeats move the slot while only other tables change', async () => {
    const pair = await createCdcPair(server.adminUrl, 'cdc_idle')
    const controller = new AbortController()
    try {
      await pair.source.query(`create table quiet (id int primary key); create table busy (id int, pad text)`)
      await runCdc(pair, ['public.quiet'])
      // that run's walsender ends a moment after it: "holds the slot" below must be about the follower
      await waitFor('the first run to let go of the slot', async () => (await pair.source.query('select 1 from pg_replication_slots where slot_name = $1 and active', [`elt_${pair.pipeline}`])).length === 0)
      const following = runCdc(pair, ['public.quiet'], { follow: true, signal: controller.signal, heartbeatSeconds: 1 })
      await pair.source.query(`insert into busy select g, repeat('x', 200) from generate_series(1, 50000) g`)
      // one pipeline streams at a time: a second run is refused while the follower holds the slot
      await waitFor('the follower to hold the slot', async () => (await pair.source.query<{ active: boolean }>('select active from pg_replication_slots where slot_name = $1', [`elt_${pair.pipeline}`]))[0]?.active === true)
      await expect(runCdc(pair, ['public.quiet'])).rejects.toThrow(/is in use by another process/)
      const lsn = (await pair.source.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn'))[0]!.lsn
      await waitFor('the slot to pass the unpublished writes', async () => {
        const rows = await pair.source.query<{ ok: boolean }>('select confirmed_flush_lsn >= $1::pg_lsn as ok from pg_replication_slots where slot_name = $2', [lsn, `elt_${pair.pipeline}`])
        return rows[0]?.ok === true
      })
      controller.abort()
      await following
    } finally {
      controller.abort()
      await pair.drop()
    }
  })

  it('a scheduled run (no --follow) over quiet tables moves the slot past the WAL written since: nothing pinned between runs', async () => {
    const pair = await createCdcPair(server.adminUrl, 'cdc_idle_once')
    const slot = `elt_${pair.pipeline}`
    try {
      await pair.source.query(`create table quiet (id int primary key); create table busy (id int, pad text)`)
      await runCdc(pair, ['public.quiet'])
      for (let run = 1; run <= 2; run++) {
        await pair.source.query(`insert into busy select g, repeat('x', 200) from generate_series(1, 20000) g`)
        const lsn = (await pair.source.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn'))[0]!.lsn
        const { appliedLsn } = await runCdc(pair, ['public.quiet'])
        // the walsender may end a moment after the run: its last acknowledgement counts once it has
        await waitFor(`run ${run}'s walsender to let go of the slot`, async () => (await pair.source.query('select 1 from pg_replication_slots where slot_name = $1 and active', [slot])).length === 0)
        const [state] = await pair.source.query<{ passed: boolean; confirmed: string }>(
          'select confirmed_flush_lsn >= $1::pg_lsn as passed, confirmed_flush_lsn::text as confirmed from pg_replication_slots where slot_name = $2',
          [lsn, slot],
        )
        // the run's stop mark, acknowledged, in PostgreSQL's own form (what `cdc status` shows)
        expect({ run, ...state }).toEqual({ run, passed: true, confirmed: appliedLsn })
      }
    } finally {
      await pair.drop()
    }
  })

  it('a run started while the slot is still held a moment (a follower that just stopped) waits for it to be let go, then applies', async () => {
    const pair = await createCdcPair(server.adminUrl, 'cdc_handover')
    const slot = `elt_${pair.pipeline}`
    const holder = new LogicalReplicationService({ connectionString: pair.source.url, application_name: 'test-holder' }, { acknowledge: { auto: false, timeoutSeconds: 0 } })
    holder.on('error', () => {})
    try {
      await pair.source.query('create table h (id int primary key)')
      await runCdc(pair, ['public.h'])
      await pair.source.query('insert into h values (1)')
      // another walsender on the slot, as a stopped follower's is until it notices
      void holder.subscribe(new PgoutputPlugin({ protoVersion: 1, publicationNames: [slot] }), slot).catch(() => {})
      await waitFor('the holder to take the slot', async () => (await pair.source.query('select 1 from pg_replication_slots where slot_name = $1 and active', [slot])).length === 1)
      const run = runCdc(pair, ['public.h'])
      run.catch(() => {})
      await sleep(1000)
      await holder.stop()
      await expect(run).resolves.toMatchObject({ changes: 1 })
      expect(await pair.destination.query('select id from raw.h')).toEqual([{ id: 1 }])
    } finally {
      await holder.stop().catch(() => {})
      await waitFor('the holder to let go', async () => (await pair.source.query('select 1 from pg_replication_slots where slot_name = $1 and active', [slot])).length === 0)
      await pair.drop()
    }
  })

  it('--follow: a reconnect whose preparation gets no answer (a server stalled under its queries) is given up like a silent stream, and tried again', async () => {
    const pair = await createCdcPair(server.adminUrl, 'cdc_prestall')
    const slot = `elt_${pair.pipeline}`
    const controller = new AbortController()
    const warnings: string[] = []
    const logger = { debug() {}, info() {}, error() {}, warn: (m: string) => void warnings.push(m) }
    const walsender = async () => (await pair.source.query<{ pid: number | null }>('select active_pid as pid from pg_replication_slots where slot_name = $1', [slot]))[0]?.pid ?? null
    const blocker = new pg.Client({ connectionString: pair.destination.url })
    await blocker.connect()
    try {
      await pair.source.query('create table p (id int primary key)')
      await runCdc(pair, ['public.p'])
      await waitFor('the first run to let go of the slot', async () => (await walsender()) === null)
      const following = runCdc(pair, ['public.p'], { follow: true, signal: controller.signal, heartbeatSeconds: 1, silenceSeconds: 2, retry: { maxRetries: 3, delaySeconds: 0.1 }, logger })
      following.catch(() => {})
      await waitFor('the follower to hold the slot', async () => (await walsender()) !== null)
      // the pipeline's recorded position unreadable: the reconnect's read of it waits, as on a stalled server
      await blocker.query('begin; lock table _elt.cdc_pipelines in access exclusive mode')
      await pair.source.query('select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = $1', [slot])
      await waitFor('the stalled preparation to be given up', async () => warnings.some((w) => /No answer from the source or the destination for 7 s while preparing the stream of cdc cdc_prestall_\w+\..* Reconnecting in 0\.2 s \(attempt 2 of 3\)\.$/.test(w)), 30)
      await blocker.query('rollback')
      await pair.source.query('insert into p values (1)')
      await waitFor('the insert to arrive after the reconnect', async () => (await pair.destination.query('select id from raw.p')).length === 1, 30)
      controller.abort()
      await expect(following).resolves.toMatchObject({ changes: 1 })
    } finally {
      controller.abort()
      await blocker.end().catch(() => {})
      await waitFor('the slot to be let go', async () => (await walsender()) === null)
      await pair.drop()
    }
  })

  it("a run whose preparation's connection goes silent (no reset, no answer) stops naming both sessions instead of waiting forever", async () => {
    const pair = await createCdcPair(server.adminUrl, 'cdc_prepstall')
    const proxy = await stallingProxy(pair.destination.url)
    const blocker = new pg.Client({ connectionString: pair.destination.url })
    await blocker.connect()
    try {
      await pair.source.query('create table q (id int primary key)')
      await runCdc(pair, ['public.q'])
      await waitFor('the first run to let go of the slot', async () => (await pair.source.query('select 1 from pg_replication_slots where slot_name = $1 and active', [`elt_${pair.pipeline}`])).length === 0)
      // the run's read of its recorded position waits on a lock; its connection is cut meanwhile, then the lock goes: the answer never arrives
      await blocker.query('begin; lock table _elt.cdc_pipelines in access exclusive mode')
      const started = Date.now()
      const run = runCdc({ ...pair, destination: { ...pair.destination, url: proxy.url(pair.destination.url) } }, ['public.q'], { stallSeconds: 2 }).catch((e: unknown) => e)
      await waitFor('the read to wait on the lock', async () => (await pair.destination.query(`select 1 from pg_stat_activity where application_name = 'elt-cdc-apply' and wait_event_type = 'Lock'`)).length === 1)
      proxy.cut()
      await blocker.query('rollback')
      const error = await run
      expect(describeError(error)).toMatch(
        new RegExp(`^Nothing moved for \\d+ s while preparing cdc ${pair.pipeline}: the source's session \\(pid \\d+\\) has waited \\d+ s for this process's next statement; the destination's session \\(pid \\d+\\) has waited \\d+ s for this process's next statement\\. The run stopped before streaming`),
      )
      expect(Date.now() - started).toBeLessThan(30_000)
    } finally {
      await blocker.end().catch(() => {})
      proxy.destroy()
      await pair.drop()
    }
  })

  it('--follow survives a network cut: the stalled stream is given up after silenceSeconds, it reconnects and later changes arrive; past the retry budget it fails naming what to do', async () => {
    const pair = await createCdcPair(server.adminUrl, 'cdc_stall')
    const proxy = await stallingProxy(pair.source.url)
    const cut = () => proxy.cut()
    const controller = new AbortController()
    const warnings: string[] = []
    const logger = { debug() {}, info() {}, error() {}, warn: (m: string) => void warnings.push(m) }
    const walsender = async () => (await pair.source.query<{ pid: number | null }>('select active_pid as pid from pg_replication_slots where slot_name = $1', [`elt_${pair.pipeline}`]))[0]?.pid ?? null
    try {
      await pair.source.query('create table t (id int primary key)')
      await runCdc(pair, ['public.t'])
      // that run's walsender ends a moment after it: "holds the slot" below must be about the follower
      await waitFor('the first run to let go of the slot', async () => (await walsender()) === null)
      const via = { ...pair, source: { ...pair.source, url: proxy.url(pair.source.url) } }
      const following = runCdc(via, ['public.t'], { follow: true, signal: controller.signal, heartbeatSeconds: 1, silenceSeconds: 2, logger })
      following.catch(() => {})
      await waitFor('the follower to hold the slot', async () => (await walsender()) !== null)
      const first = await walsender()
      cut()
      await pair.source.query('insert into t values (1)')
      await waitFor('the insert made after the cut to arrive', async () => (await pair.destination.query('select id from raw.t')).length === 1, 30)
      expect(await walsender()).not.toBe(first)
      expect(warnings).toEqual([expect.stringMatching(/^cdc cdc_stall_\w+: Nothing came from the source on the replication stream of slot "elt_cdc_stall_\w+" for 2 s .* Reconnecting in 0\.1 s \(attempt 1 of 1\)\.$/)])
      controller.abort()
      await following
      // its walsender ends a moment after it stopped: until then "holds the slot" below would be about it, not the next follower
      await waitFor('the stopped follower to release the slot', async () => (await walsender()) === null)

      // Ctrl-C while waiting out a long backoff before a reconnect: the run ends at once, with what it applied
      const stopping = new AbortController()
      const waiting: string[] = []
      const patient = runCdc(via, ['public.t'], {
        follow: true,
        signal: stopping.signal,
        heartbeatSeconds: 1,
        silenceSeconds: 2,
        retry: { maxRetries: 3, delaySeconds: 30 },
        logger: { ...logger, warn: (m: string) => void waiting.push(m) },
      })
      patient.catch(() => {})
      await waitFor('the third follower to hold the slot', async () => (await walsender()) !== null)
      cut()
      await waitFor('the stalled stream to be given up', async () => waiting.some((w) => /Reconnecting in 30\.0 s/.test(w)), 30)
      stopping.abort()
      const stopped = await Promise.race([patient, sleep(10_000).then(() => 'still waiting out the 30 s backoff 10 s after Ctrl-C')])
      expect(stopped).toMatchObject({ changes: 0 })
      // the walsender behind the cut holds the slot until the source times it out; the next follower would wait for it
      await pair.source.query('select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = $1 and active_pid is not null', [`elt_${pair.pipeline}`])
      await waitFor('the cut walsender to end', async () => (await walsender()) === null)

      // the source unreachable for good: the reconnects fail and the run ends, saying what failed and what to do
      const giving = runCdc(via, ['public.t'], { follow: true, heartbeatSeconds: 1, silenceSeconds: 2, connectWaitSeconds: 1 })
      giving.catch(() => {})
      await waitFor('the second follower to hold the slot', async () => (await walsender()) !== null)
      proxy.close()
      cut()
      await expect(giving).rejects.toThrow(/gave up following slot "elt_cdc_stall_\w+" after 1 reconnects in a row failed\. Last failure: Could not reach the source database/)
      await expect(giving).rejects.toMatchObject({ hint: expect.stringContaining('rerun pnpm elt replicate --follow') })
      expect(await pair.destination.query('select id from raw.t')).toEqual([{ id: 1 }])
    } finally {
      controller.abort()
      proxy.destroy()
      await waitFor('the stalled walsender to end', async () => (await walsender()) === null)
      await pair.drop()
    }
  })
})
