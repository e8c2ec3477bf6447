import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import pg from 'pg'
import { EltError, describeError, sleep } from '@elt/core'
import { createPair, replicatePair, terminateSessions, type Pair } from './helpers.ts'
import { replicatePastStatementTimeout } from './support/statement-timeout.ts'

// Failures on the destination side of a COPY: the source client is then in COPY OUT mode
// with nobody reading it. Each run must end (retried or failed) — a hang fails the test by timeout.

const bigRows = 300_000

let pair: Pair
beforeAll(async () => {
  pair = await createPair(inject('pgAdminUrl'), 'dstfaults')
  await pair.source.query(`
    create table big (id bigint primary key, n int, label text);
    insert into big select g, g % 1000, repeat('x', 40) || g from generate_series(1, ${bigRows}) g;
    create table small (id int primary key, name text);
    insert into small select g, 'name ' || g from generate_series(1, 100) g;`)
  await replicatePair(pair, { include: ['big', 'small'] }) // the previous copy every test starts from
  await pair.source.query(`insert into big select g, 0, 'new' from generate_series(${bigRows + 1}, ${bigRows + 1000}) g`)
})
afterAll(() => pair.drop())

const countOf = async (table: string) => Number((await pair.destination.query<{ n: string }>(`select count(*) as n from ${table}`))[0]?.n)
const leftovers = () => pair.destination.query(`select relname from pg_class where relname like 'elt_new_%'`)

describe('destination faults during a COPY', () => {
  it('fails a table cancelled by the destination statement_timeout, naming the table and the timeout, and keeps the previous copy', async () => {
    // A lock on the source table holds the source COPY back for 2.5 s, so the destination COPY outlives
    // its statement_timeout, every time (the server cancels it when the first data arrives).
    const error = await replicatePastStatementTimeout(pair, 'destination')
    expect(error).toBeInstanceOf(EltError)
    expect((error as EltError).exitCode).toBe(1)
    const text = describeError(error)
    expect(text).toContain("Loading public.big into raw.big was cancelled by the destination's statement_timeout (1s).")
    expect(text).toContain('SET statement_timeout = 0` on the destination')
    expect(await countOf('raw.big')).toBe(bigRows)
    expect(await leftovers()).toEqual([])
    const loads = await pair.destination.query<{ status: string; message: string }>(
      `select status, message from _elt.table_loads where source_table = 'public.big'
        and run_id = (select run_id from _elt.replications order by started_at desc limit 1)`,
    )
    expect(loads[0]?.status).toBe('error')
    expect(loads[0]?.message).toContain('statement_timeout')
  })

  it('retries a table whose destination backend was terminated mid-COPY, and completes', async () => {
    // A lock on the source's big, taken when the run starts preparing, holds its COPY back: the destination's
    // COPY is then in flight, waiting for data, when its backend is terminated (every time, however fast the copy).
    const holder = new pg.Client({ connectionString: pair.source.url })
    holder.on('error', () => {})
    await holder.connect()
    await holder.query('begin')
    let killing: Promise<number> | undefined
    const terminateInFlight = async () => {
      await holder.query('lock table big in access exclusive mode')
      let killed = 0
      for (let i = 0; i < 200 && killed === 0; i++) {
        killed = await terminateSessions(pair.destination, 'elt-replicate-load', 'COPY')
        if (killed === 0) await sleep(25)
      }
      await holder.query('rollback')
      return killed
    }
    const { summary, events } = await replicatePair(pair, {
      include: ['big', 'small'],
      jobs: 1,
      fresh: true,
      onEvent: (e) => {
        if (e.type === 'step-started' && e.step === 'prepare') killing ??= terminateInFlight()
      },
    }).finally(() => holder.end())
    expect(await killing).toBe(1)
    const retried = events.filter((e) => e.type === 'table-retried')
    expect(retried).toHaveLength(1)
    expect(retried[0]).toMatchObject({ source: 'public.big', attempt: 1 })
    expect(summary.tables.find((t) => t.source === 'public.big')?.rows).toBe(bigRows + 1000)
    const { n, distinct } = (await pair.destination.query<{ n: string; distinct: string }>('select count(*) as n, count(distinct id) as distinct from raw.big'))[0]!
    expect([Number(n), Number(distinct)]).toEqual([bigRows + 1000, bigRows + 1000])
    expect(await leftovers()).toEqual([])
  })
})
