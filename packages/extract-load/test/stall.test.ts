import { readdir } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import pg from 'pg'
import { describeError } from '@elt/core'
import type { ReplicationEvent, ReplicationOptions } from '../src/index.ts'
import { createPair, replicatePair, tablesOf, type Pair } from './helpers.ts'
import { extractPair, stageConfig, tempStage } from './support/stage-helpers.ts'
import { stallingProxy, type StallingProxy } from '@elt/core/testing'

// A connection that stops passing data without closing (a cut network, a stalled proxy) gives no
// error: before the stall watch, each of these runs waited forever (the tests time out without it).
const bigRows = 1_000_000
const stallSeconds = 2

let pair: Pair
beforeAll(async () => {
  pair = await createPair(inject('pgAdminUrl'), 'stall')
  await pair.source.query(`create table big (id bigint primary key, label text);
    insert into big select g, repeat('x', 100) || g from generate_series(1, ${bigRows}) g`)
})
afterAll(() => pair.drop())

/** `pair` with one side reached through `proxy`. */
const through = (side: 'source' | 'destination', proxy: StallingProxy): Pair => ({ ...pair, [side]: { ...pair[side], url: proxy.url(pair[side].url) } })

async function expectLoaded(): Promise<void> {
  const [row] = await pair.destination.query<{ n: string; distinct: string }>('select count(*) as n, count(distinct id) as distinct from raw.big')
  expect([Number(row!.n), Number(row!.distinct)]).toEqual([bigRows, bigRows])
}

/**
 * `replicatePair` of `big` with `side` reached through a stalling proxy; `stall(proxy)` runs at the
 * first event `when` matches (and must have run). The run's result, or the error it failed with.
 */
async function replicateStalling(
  side: 'source' | 'destination',
  when: (e: ReplicationEvent) => boolean,
  stall: (proxy: StallingProxy) => void,
  options: Partial<ReplicationOptions> = {},
): Promise<{ result?: Awaited<ReturnType<typeof replicatePair>>; error?: unknown }> {
  const proxy = await stallingProxy(pair[side].url)
  let stalled = false
  try {
    const outcome = await replicatePair(through(side, proxy), {
      include: ['big'],
      jobs: 1,
      fresh: true,
      stallSeconds,
      ...options,
      onEvent: (e) => {
        if (stalled || !when(e)) return
        stalled = true
        stall(proxy)
      },
    }).then((result) => ({ result }), (error: unknown) => ({ error }))
    expect(stalled).toBe(true)
    return outcome
  } finally {
    proxy.destroy()
  }
}

const firstProgress = (e: ReplicationEvent) => e.type === 'table-progress'

describe('stalled connections', () => {
  for (const side of ['source', 'destination'] as const) {
    it(`gives up a COPY whose ${side} connection stops passing data, and loads the table on new connections`, async () => {
      // the copy's connection is the newest: the others go on
      const { result } = await replicateStalling(side, firstProgress, (proxy) => proxy.cut({ newest: 1 }))
      const retried = result!.events.filter((e) => e.type === 'table-retried')
      expect(retried).toHaveLength(1)
      expect(retried[0]).toMatchObject({ source: 'public.big', attempt: 1 })
      const reason = retried[0]?.type === 'table-retried' ? retried[0].reason : ''
      expect(reason).toMatch(/^Nothing moved for \d+ s while loading public\.big into raw\.big: /)
      expect(reason).toMatch(/the source's session \(pid \d+\) is waiting to send to this process \(ClientWrite\)/)
      // the destination's session waits in its COPY, or before it when the COPY statement itself was held back
      expect(reason).toMatch(/the destination's session \(pid \d+\) (is waiting for data from this process \(ClientRead\)|has waited \d+ s for this process's next statement)/)
      expect(result!.summary.tables.map((t) => [t.source, t.rows])).toEqual([['public.big', bigRows]])
      await expectLoaded()
    }, 60_000)
  }

  it('fails the table clearly when the stalled source no longer takes connections, and leaves nothing half-loaded', async () => {
    await pair.destination.query('drop schema if exists raw cascade')
    const { error } = await replicateStalling(
      'source',
      firstProgress,
      (proxy) => {
        proxy.cut({ newest: 1 })
        proxy.close()
      },
      { retry: { maxRetries: 1, delaySeconds: 0.1 }, connectWaitSeconds: 2 },
    )
    const message = describeError(error)
    expect(message).toMatch(/Could not reach the source database at 127\.0\.0\.1:\d+\/\S+ after waiting 2 s/)
    expect(message).not.toContain(new URL(pair.source.url).password)
    expect(await tablesOf(pair.destination, 'raw')).toEqual([])
    const loads = await pair.destination.query<{ status: string }>(`select status from _elt.table_loads where source_table = 'public.big' order by started_at desc limit 1`)
    expect(loads[0]?.status).toBe('error')
  }, 60_000)

  it('fails an extract whose source connection stops passing data, naming it, and publishes nothing', async () => {
    const stage = await tempStage()
    const proxy = await stallingProxy(pair.source.url)
    let cut = false
    try {
      const error = await extractPair(through('source', proxy), stageConfig(stage.dir), '2026-12-01', {
        jobs: 1,
        stallSeconds,
        onEvent: (e) => {
          if (e.type === 'table-progress' && !cut) {
            cut = true
            proxy.cut({ newest: 1 })
          }
        },
      }).catch((e: unknown) => e)
      expect(cut).toBe(true)
      expect(describeError(error)).toMatch(/^Nothing moved for \d+ s while extracting postgres: public\.big: the source's session \(pid \d+\) is waiting to send to this process \(ClientWrite\)\./)
      expect(await readdir(`${stage.dir}/postgres/public.big`).catch(() => [])).toEqual([]) // no day, no run folder left
    } finally {
      proxy.destroy()
      await stage.remove()
    }
  }, 60_000)

  it("fails the run, naming both sessions, when the source's coordinator stalls as the run finishes; the tables swapped in stay", async () => {
    const started = Date.now()
    // every source connection so far, the coordinator's among them: the snapshot's COMMIT never arrives
    const { error } = await replicateStalling('source', (e) => e.type === 'table-finished', (proxy) => proxy.cut())
    expect(describeError(error)).toMatch(
      /^Nothing moved for \d+ s while finishing the run: the source's session \(pid \d+\) has waited \d+ s for this process's next statement; the destination's session \(pid \d+\) has waited \d+ s for this process's next statement\. The run stopped/,
    )
    expect(Date.now() - started).toBeLessThan(30_000)
    await expectLoaded()
  }, 60_000)

  it("fails the run when the destination's state session stalls while it prepares", async () => {
    // the state session is the only destination connection yet
    const { error } = await replicateStalling('destination', (e) => e.type === 'step-started' && e.step === 'introspect', (proxy) => proxy.cut())
    expect(describeError(error)).toMatch(/^Nothing moved for \d+ s while preparing the run: .*the destination's session \(pid \d+\) has waited \d+ s for this process's next statement\. The run stopped/)
  }, 60_000)

  it('waits for a session at work past the stall time: a swap waiting on a lock is not a stall', async () => {
    await replicatePair(pair, { include: ['big'], jobs: 1, fresh: true })
    const holder = new pg.Client({ connectionString: pair.destination.url })
    await holder.connect()
    try {
      await holder.query('begin')
      await holder.query('select count(*) from raw.big') // holds raw.big: the swap waits for it
      let released: Promise<unknown> | undefined
      const { summary, events } = await replicatePair(pair, {
        include: ['big'],
        jobs: 1,
        stallSeconds,
        swapLockWait: { lockTimeoutMs: 20_000, retries: 0 }, // one wait on the server, no pause in this process
        onEvent: (e) => {
          if (e.type === 'table-progress') released ??= new Promise((resolve) => setTimeout(resolve, 4 * stallSeconds * 1000)).then(() => holder.query('commit'))
        },
      })
      await released
      expect(events.filter((e) => e.type === 'table-retried')).toEqual([])
      expect(summary.tables.map((t) => [t.source, t.rows])).toEqual([['public.big', bigRows]])
      expect(summary.seconds).toBeGreaterThan(4 * stallSeconds)
      await expectLoaded()
    } finally {
      await holder.end()
    }
  }, 60_000)
})
