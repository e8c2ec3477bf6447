import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import pg from 'pg'
import { EltError, describeError, sleep } from '@elt/core'
import { createPair, replicatePair, tablesOf, terminateSessions, type Pair } from './helpers.ts'
import { replicatePastStatementTimeout } from './support/statement-timeout.ts'

const bigRows = 300_000

/** A big table and two small ones. */
async function seed(pair: Pair): Promise<void> {
  await pair.source.query(`
    create table big (id bigint primary key, n int, label text, at timestamptz);
    insert into big select g, g % 1000, repeat('x', 40) || g, timestamptz '2024-01-01' + g * interval '1 minute' from generate_series(1, ${bigRows}) g;
    create table small (id int primary key, name text);
    insert into small select g, 'name ' || g from generate_series(1, 100) g;
    create table small_child (id int primary key, small_id int references small (id));
    insert into small_child select g, g from generate_series(1, 100) g;
    create table victim (id int primary key);
    insert into victim select generate_series(1, 10);`)
}

let pair: Pair
beforeAll(async () => {
  pair = await createPair(inject('pgAdminUrl'), 'faults')
  await seed(pair)
})
afterAll(() => pair.drop())

describe('faults', () => {
  it('retries a table whose source backend was terminated mid-COPY, and completes', async () => {
    let terminated = 0
    let killing: Promise<unknown> | undefined
    const { summary, events } = await replicatePair(pair, {
      include: ['big', 'small'],
      jobs: 1,
      onEvent: (e) => {
        if (e.type === 'table-progress' && e.source === 'public.big' && killing === undefined) {
          killing = terminateSessions(pair.source, 'elt-replicate-copy', 'COPY').then((n) => (terminated = n))
        }
      },
    })
    await killing
    expect(terminated).toBe(1)
    const retried = events.filter((e) => e.type === 'table-retried')
    expect(retried).toHaveLength(1)
    expect(retried[0]).toMatchObject({ source: 'public.big', attempt: 1 })
    expect(summary.tables.find((t) => t.source === 'public.big')?.rows).toBe(bigRows)
    const { n, distinct } = (await pair.destination.query<{ n: string; distinct: string }>('select count(*) as n, count(distinct id) as distinct from raw.big'))[0]!
    expect([Number(n), Number(distinct)]).toEqual([bigRows, bigRows])
    const loads = await pair.destination.query<{ status: string; attempts: number }>(
      `select status, attempts from _elt.table_loads where run_id = $1 and source_table = 'public.big'`,
      [summary.runId],
    )
    expect(loads).toEqual([{ status: 'done', attempts: 2 }])
  })

  it("reconnects a worker whose idle source connection was terminated between two tables, and completes", async () => {
    // A reader on raw.big holds big's swap back; meanwhile the worker's source connection (its COPY done,
    // its snapshot transaction committed) is terminated. The worker's next table must reconnect, not fail.
    const reader = new pg.Client({ connectionString: pair.destination.url })
    reader.on('error', () => {})
    await reader.connect()
    await reader.query('begin')
    await reader.query('select count(*) from raw.big')
    let terminated: Promise<number> | undefined
    const watchSwap = async (): Promise<number> => {
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(50)) {
        const waiting = await pair.destination.query(
          `select 1 from pg_stat_activity where datname = current_database() and application_name = 'elt-replicate-load' and wait_event_type = 'Lock'`,
        )
        if (waiting.length === 0) continue
        const killed = await pair.source.query<{ ok: boolean }>(
          `select pg_terminate_backend(pid) as ok from pg_stat_activity
            where datname = current_database() and application_name = 'elt-replicate-copy' and state = 'idle'`,
        )
        await reader.query('commit')
        return killed.filter((r) => r.ok).length
      }
      return 0
    }
    try {
      const { summary, events } = await replicatePair(pair, {
        include: ['big', 'small'],
        jobs: 1,
        onEvent: (e) => {
          if (e.type === 'table-started' && e.source === 'public.big') terminated ??= watchSwap()
        },
      })
      expect(await terminated).toBe(1)
      expect(events.filter((e) => e.type === 'table-retried').map((e) => e.type === 'table-retried' && e.source)).toEqual(['public.small'])
      expect(summary.tables.map((t) => [t.source, t.rows])).toEqual([
        ['public.big', bigRows],
        ['public.small', 100],
      ])
      const { n } = (await pair.destination.query<{ n: string }>('select count(*) as n from raw.small'))[0]!
      expect(Number(n)).toBe(100)
    } finally {
      await reader.end()
    }
  })

  it('names a table dropped on the source mid-run, keeps what was swapped in, leaves nothing half-loaded, restores foreign keys', async () => {
    await pair.destination.query('drop schema if exists raw cascade')
    let dropping: Promise<unknown> | undefined
    const error = await replicatePair(pair, {
      jobs: 1,
      onEvent: (e) => {
        if (e.type === 'table-started' && e.source === 'public.big') dropping ??= pair.source.query('drop table victim')
      },
    }).catch((e: unknown) => e)
    await dropping
    expect(error).toBeInstanceOf(EltError)
    expect((error as EltError).exitCode).toBe(1)
    expect(describeError(error)).toContain('The source table public.victim was dropped while the replication was running')
    expect(await tablesOf(pair.destination, 'raw')).toEqual(['big', 'small', 'small_child'])
    const fks = await pair.destination.query<{ def: string }>(`select pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'raw.small_child'::regclass and contype = 'f'`)
    expect(fks).toEqual([{ def: 'FOREIGN KEY (small_id) REFERENCES raw.small(id)' }])
    expect(await pair.destination.query(`select relname from pg_class where relname like 'elt_new_%'`)).toEqual([])
    const { n } = (await pair.destination.query<{ n: string }>('select count(*) as n from raw.big'))[0]!
    expect(Number(n)).toBe(bigRows)
    const runs = await pair.destination.query<{ status: string; message: string }>(`select status, message from _elt.replications order by started_at desc limit 1`)
    expect(runs[0]?.status).toBe('error')
    expect(runs[0]?.message).toContain('public.victim')
    await pair.source.query('create table victim (id int primary key); insert into victim select generate_series(1, 10)')
  })

  it("explains a lost snapshot (the coordinator's source connection terminated) and keeps the tables already swapped in", async () => {
    let killing: Promise<unknown> | undefined
    const error = await replicatePair(pair, {
      include: ['big', 'small'],
      jobs: 1,
      fresh: true, // the previous test's run failed: without this, its finished tables would be resumed
      onEvent: (e) => {
        if (e.type === 'table-started' && e.source === 'public.big') {
          killing ??= pair.source.query(
            `select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = 'elt-replicate'`,
          )
        }
      },
    }).catch((e: unknown) => e)
    await killing
    expect(describeError(error)).toContain("The source connection holding the replication's snapshot was lost, so public.small could not be read")
    expect((error as EltError).exitCode).toBe(1)
    const { n } = (await pair.destination.query<{ n: string }>('select count(*) as n from raw.big'))[0]!
    expect(Number(n)).toBe(bigRows)
  })

  it("fails a table whose source COPY was cancelled by the source's statement_timeout, naming the side and the value", async () => {
    // a lock held for 2.5 s keeps the source COPY waiting past its statement_timeout
    const error = await replicatePastStatementTimeout(pair, 'source')
    expect((error as EltError).exitCode).toBe(1)
    expect(describeError(error)).toContain("Loading public.big into raw.big was cancelled by the source's statement_timeout (1s).")
    const { n } = (await pair.destination.query<{ n: string }>('select count(*) as n from raw.big'))[0]!
    expect(Number(n)).toBe(bigRows)
  })

  it('rejects an unknown table in the include list as a configuration error (exit 2)', async () => {
    const error = await replicatePair(pair, { include: ['big', 'public.no_such_table'] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EltError)
    expect((error as EltError).exitCode).toBe(2)
    expect(describeError(error)).toContain('Unknown table "public.no_such_table"')
  })

  it('rejects an unknown schema as a configuration error (exit 2)', async () => {
    const error = await replicatePair(pair, { schemas: ['public', 'nope'] }).catch((e: unknown) => e)
    expect((error as EltError).exitCode).toBe(2)
    expect(describeError(error)).toContain('The source has no schema "nope"')
  })
})
