import type {} from '@elt/core/testing/global-setup' // declares inject('pgAdminUrl')
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest'
import { EltError, ExitCode } from '@elt/core'
import { loadSources, postgresReader, type LoadSourcesOptions, type LoadSourcesSummary } from '../src/index.ts'
import type { TableStrategy } from '../src/write/table-strategy.ts'
import { createPair, tableRows, type Pair } from './helpers.ts'

let pair: Pair
beforeAll(async () => {
  pair = await createPair(inject('pgAdminUrl'), 'incremental')
})
afterAll(async () => {
  await pair?.drop()
})

function load(tables: Record<string, TableStrategy>, options: Partial<LoadSourcesOptions> = {}): Promise<LoadSourcesSummary> {
  return loadSources({
    sources: [{ name: 'postgres', reader: postgresReader, config: { schemas: ['public'], tables }, targetSchema: 'raw', database: { label: 'source', url: pair.source.url } }],
    destination: { label: 'destination', url: pair.destination.url },
    jobs: 2,
    retry: { maxRetries: 0, delaySeconds: 0.1 },
    connectWaitSeconds: 5,
    ...options,
  })
}

const tableOf = (summary: LoadSourcesSummary, source: string) => summary.tables.find((t) => t.source === source)
const markOf = async (table: string) => (await pair.destination.query<{ mark: string[] | null }>(`select mark from _elt.table_marks where source_table = $1`, [table]))[0]?.mark
async function failure(promise: Promise<unknown>): Promise<EltError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(EltError)
  return error as EltError
}

const orders: Record<string, TableStrategy> = {
  'public.orders': { strategy: 'incremental', cursor: 'updated_at', deletes: 'compare-keys', lookback: '10 minutes' },
}

describe('incremental by cursor', () => {
  beforeEach(async () => {
    await pair.source.query(`drop table if exists orders; drop table if exists events;
      create table orders (order_id int primary key, status text not null, doc json, updated_at timestamptz not null);
      insert into orders select g, 'new', json_build_object('n', g), timestamptz '2026-12-01 10:00+00' + g * interval '1 minute' from generate_series(1, 100) g;`)
    await pair.destination.query(`drop schema if exists raw cascade; drop schema if exists _elt cascade; drop schema if exists _elt_audit cascade`)
  })

  it('copies the table whole the first time with the mark of its snapshot, then merges only the window: updates, inserts, compare-keys deletes', async () => {
    const first = await load(orders)
    expect(tableOf(first, 'public.orders')).toMatchObject({ strategy: 'incremental', rows: 100, inserted: 100, updated: 0, deleted: 0 })
    expect(await markOf('public.orders')).toEqual(['2026-12-01 11:40:00+00'])

    await pair.source.query(`
      update orders set status = 'paid', updated_at = timestamptz '2026-12-01 12:00+00' where order_id in (5, 6);
      update orders set updated_at = timestamptz '2026-12-01 12:00+00' where order_id = 7;   -- cursor moved, nothing else: not counted
      insert into orders values (101, 'new', '{"n":101}', timestamptz '2026-12-01 12:01+00');
      delete from orders where order_id in (1, 2, 3);`)
    const second = await load(orders)
    // the window re-reads the 10 minutes before the mark (orders 91–100) and the 4 changed rows
    expect(tableOf(second, 'public.orders')).toMatchObject({ strategy: 'incremental', rows: 14, inserted: 1, updated: 3, deleted: 3 })
    expect(await tableRows(pair.destination, 'raw', 'orders')).toEqual(await tableRows(pair.source, 'public', 'orders'))
    expect(await markOf('public.orders')).toEqual(['2026-12-01 12:01:00+00'])
    const changes = await pair.destination.query(`select strategy, full_copy, from_mark, to_mark, rows::int, inserted::int, updated::int, deleted::int from _elt.table_changes order by recorded_at`)
    expect(changes).toEqual([
      { strategy: 'incremental', full_copy: true, from_mark: null, to_mark: ['2026-12-01 11:40:00+00'], rows: 100, inserted: 100, updated: 0, deleted: 0 },
      // from_mark: the window's exclusive start (the previous mark minus the lookback)
      { strategy: 'incremental', full_copy: false, from_mark: ['2026-12-01 11:30:00+00'], to_mark: ['2026-12-01 12:01:00+00'], rows: 14, inserted: 1, updated: 3, deleted: 3 },
    ])
    const loads = await pair.destination.query(`select strategy, rows::int, inserted::int, updated::int, deleted::int from _elt.table_loads where status = 'done' order by finished_at`)
    expect(loads.at(-1)).toEqual({ strategy: 'incremental', rows: 14, inserted: 1, updated: 3, deleted: 3 })
  })

  it('picks up a late row whose cursor is before the mark but inside the lookback, and keeps grants (no swap)', async () => {
    await load(orders)
    await pair.destination.query(`create role incremental_reader; grant usage on schema raw to incremental_reader; grant select on raw.orders to incremental_reader`)
    // committed after the first run with a cursor 5 minutes before its mark (a long transaction, a skewed clock)
    await pair.source.query(`insert into orders values (500, 'late', null, timestamptz '2026-12-01 11:35+00')`)
    const second = await load(orders)
    expect(tableOf(second, 'public.orders')).toMatchObject({ inserted: 1, updated: 0, deleted: 0 })
    expect(await tableRows(pair.destination, 'raw', 'orders')).toEqual(await tableRows(pair.source, 'public', 'orders'))
    expect(await pair.destination.query(`select has_table_privilege('incremental_reader', 'raw.orders', 'select') as ok`)).toEqual([{ ok: true }])
    // the row at the mark is deleted: the lookback window's newest row is older, the mark does not move back
    await pair.source.query(`delete from orders where order_id = 100`)
    await load(orders)
    expect(await markOf('public.orders')).toEqual(['2026-12-01 11:40:00+00'])
    await pair.destination.query(`drop owned by incremental_reader; drop role incremental_reader`)
  })

  it('merges a window of several payloads (upserted while the source sends the next) exactly once', async () => {
    await pair.source.query(`insert into orders select g, repeat('s', 150), json_build_object('n', g), timestamptz '2026-12-01 10:00+00' + g * interval '1 second'
                               from generate_series(101, 30000) g`)
    await load(orders)
    await pair.source.query(`
      update orders set status = 'paid ' || repeat('p', 150), updated_at = timestamptz '2026-12-02 00:00+00' + order_id * interval '1 millisecond' where order_id % 3 <> 0;
      insert into orders select g, 'new', null, timestamptz '2026-12-03 00:00+00' + g * interval '1 millisecond' from generate_series(30001, 35000) g;
      delete from orders where order_id % 1000 = 0;`)
    const second = await load(orders)
    const t = tableOf(second, 'public.orders')!
    // 19,980 changed rows (one in three left alone, minus deleted ones), 4,995 new ones, and the lookback's unchanged rows read again:
    // about 3.5 MB, several 1 MB payloads
    const [window] = await pair.source.query<{ n: number }>(`select count(*)::int as n from orders where updated_at > timestamptz '2026-12-01 18:20+00' - interval '10 minutes'`)
    expect(t).toMatchObject({ strategy: 'incremental', rows: window!.n, inserted: 4995, updated: 19980, deleted: 30 })
    expect(t.bytes).toBeGreaterThan(3 * (1 << 20))
    expect(await tableRows(pair.destination, 'raw', 'orders')).toEqual(await tableRows(pair.source, 'public', 'orders'))
    expect(await markOf('public.orders')).toEqual(['2026-12-03 00:00:34.999+00']) // order 35,000 was deleted
  })

  it('a merge killed after its COPY changes nothing and leaves the mark; the rerun applies the window once', async () => {
    await load(orders)
    await pair.source.query(`update orders set status = 'paid', updated_at = timestamptz '2026-12-01 13:00+00' where order_id <= 10;
                             insert into orders values (200, 'new', null, timestamptz '2026-12-01 13:01+00')`)
    // a trigger makes the merge sleep after its COPY, in its upsert; its backend is terminated there
    await pair.destination.query(`create function public.slow_merge() returns trigger language plpgsql as $$ begin perform pg_sleep(30); return null; end $$;
                                  create trigger slow_merge before insert on raw.orders for each statement execute function public.slow_merge()`)
    const run = load(orders)
    let terminated = false
    for (let i = 0; i < 200 && !terminated; i++) {
      const rows = await pair.destination.query<{ ok: boolean }>(
        `select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = 'elt-replicate-load' and wait_event = 'PgSleep' and query ilike 'WITH merged AS%'`,
      )
      terminated = rows.some((r) => r.ok)
      if (!terminated) await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(terminated).toBe(true)
    await run.catch(() => undefined)
    await pair.destination.query('drop trigger slow_merge on raw.orders; drop function public.slow_merge()')
    expect(await markOf('public.orders')).toEqual(['2026-12-01 11:40:00+00'])
    expect(await pair.destination.query(`select count(*)::int as n, count(*) filter (where status = 'paid')::int as paid from raw.orders`)).toEqual([{ n: 100, paid: 0 }])
    expect(await pair.destination.query(`select strategy from _elt.table_loads where status = 'error'`)).toEqual([{ strategy: 'incremental' }])

    const rerun = await load(orders)
    expect(tableOf(rerun, 'public.orders')).toMatchObject({ inserted: 1, updated: 10, deleted: 0 })
    expect(await tableRows(pair.destination, 'raw', 'orders')).toEqual(await tableRows(pair.source, 'public', 'orders'))
    expect(await markOf('public.orders')).toEqual(['2026-12-01 13:01:00+00'])
  })

  it('adds a column and widens a type the source gained; refuses a dropped column naming the full refresh, changing nothing', async () => {
    await pair.source.query(`alter table orders alter column status type varchar(20)`)
    await load(orders)
    await pair.source.query(`alter table orders add column note text; alter table orders alter column status type varchar(50);
                             update orders set note = 'hello', status = repeat('x', 40), updated_at = timestamptz '2026-12-01 14:00+00' where order_id = 1`)
    await pair.destination.query(`create view public.order_status as select order_id, status from raw.orders`)
    const second = await load(orders)
    expect(tableOf(second, 'public.orders')).toMatchObject({ updated: 1 })
    expect(await tableRows(pair.destination, 'raw', 'orders')).toEqual(await tableRows(pair.source, 'public', 'orders'))
    expect(await pair.destination.query(`select format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = 'raw.orders'::regclass and attname = 'status'`)).toEqual([{ type: 'character varying(50)' }])
    expect(await pair.destination.query(`select status from public.order_status where order_id = 1`)).toEqual([{ status: 'x'.repeat(40) }])

    await pair.source.query(`alter table orders drop column doc; update orders set updated_at = timestamptz '2026-12-01 15:00+00' where order_id = 2`)
    const before = await tableRows(pair.destination, 'raw', 'orders')
    const error = await failure(load(orders))
    expect(error.message).toBe('public.orders changed in a way raw.orders cannot follow by merging: column "doc" was dropped or renamed in the source.')
    expect(error.hint).toBe('Nothing was changed. Copy the table again: pnpm elt replicate --full-refresh --select source:postgres.public.orders')
    expect(await tableRows(pair.destination, 'raw', 'orders')).toEqual(before)
    expect(await markOf('public.orders')).toEqual(['2026-12-01 14:00:00+00'])

    // --full-refresh copies it whole again and starts the mark over
    const refreshed = await load(orders, { fullRefresh: true })
    expect(tableOf(refreshed, 'public.orders')).toMatchObject({ strategy: 'incremental', rows: 100, inserted: 100 })
    expect(await tableRows(pair.destination, 'raw', 'orders')).toEqual(await tableRows(pair.source, 'public', 'orders'))
    expect(await markOf('public.orders')).toEqual(['2026-12-01 15:00:00+00'])
    await pair.destination.query(`drop view public.order_status`)
  })

  it('tables that cannot be merged do not hold back the others: every other table is loaded, and each failure is named', async () => {
    await pair.source.query(`drop table if exists tickets; drop table if exists small;
      create table tickets (id int primary key, seat text, updated_at timestamptz not null);
      insert into tickets select g, 'A' || g, timestamptz '2026-12-01 10:00+00' from generate_series(1, 50) g;
      create table small (id int generated by default as identity primary key); insert into small default values`)
    const tables = { ...orders, 'public.tickets': { strategy: 'incremental', cursor: 'updated_at' } } satisfies Record<string, TableStrategy>
    await load(tables)
    // orders and tickets, the largest, are taken first by the one worker; small after them
    await pair.source.query(`alter table orders drop column doc; alter table tickets alter column seat type varchar(3);
      update tickets set updated_at = timestamptz '2026-12-01 11:00+00' where id = 1; insert into small default values`)
    const error = await failure(load(tables, { jobs: 1 }))
    expect(error.message.split('\n')).toEqual([
      '2 tables failed (the others were loaded):',
      '  public.orders changed in a way raw.orders cannot follow by merging: column "doc" was dropped or renamed in the source. Nothing was changed. Copy the table again: pnpm elt replicate --full-refresh --select source:postgres.public.orders',
      '  public.tickets changed in a way raw.tickets cannot follow by merging: column "seat" changed type text → character varying(3). Nothing was changed. Copy the table again: pnpm elt replicate --full-refresh --select source:postgres.public.tickets',
    ])
    expect(error.exitCode).toBe(ExitCode.failure)
    expect(await pair.destination.query('select id from raw.small order by id')).toEqual([{ id: 1 }, { id: 2 }])
    // the loaded table's identity is set as after a successful run: the next id is 3, as at the source
    expect(await pair.destination.query(`select pg_sequence_last_value(pg_get_serial_sequence('raw.small', 'id')) as last`)).toEqual([{ last: '2' }])
    expect(await pair.destination.query(`select source_table, status from _elt.table_loads where run_id = (select run_id from _elt.table_loads order by started_at desc limit 1) order by source_table`)).toEqual([
      { source_table: 'public.orders', status: 'error' },
      { source_table: 'public.small', status: 'done' },
      { source_table: 'public.tickets', status: 'error' },
    ])
    await pair.source.query('drop table tickets; drop table small')
  })

  it('refuses a narrowed type and a changed primary key', async () => {
    await load(orders)
    await pair.source.query(`alter table orders alter column order_id type smallint; update orders set updated_at = now() where order_id = 1`)
    expect((await failure(load(orders))).message).toBe('public.orders changed in a way raw.orders cannot follow by merging: column "order_id" changed type integer → smallint.')
    await pair.source.query(`alter table orders alter column order_id type integer; alter table orders drop constraint orders_pkey, add primary key (order_id, status)`)
    const error = await failure(load(orders))
    expect(error.message).toBe('public.orders changed in a way raw.orders cannot follow by merging: its primary key changed (PRIMARY KEY (order_id) → PRIMARY KEY (order_id, status)).')
    expect(await pair.destination.query(`select count(*)::int as n from raw.orders`)).toEqual([{ n: 100 }])
  })

  it('append: new rows by cursor; with a lookback the rows read again are not appended twice', async () => {
    await pair.source.query(`create table events (event_id bigint, at timestamptz not null, payload jsonb);
      insert into events select g, timestamptz '2026-12-01 10:00+00' + g * interval '1 second', jsonb_build_object('g', g) from generate_series(1, 50) g`)
    const append = { 'public.events': { strategy: 'append', cursor: 'at', lookback: '1 hour' } } as const
    expect(tableOf(await load(append), 'public.events')).toMatchObject({ strategy: 'append', rows: 50, inserted: 50 })
    await pair.source.query(`insert into events values (51, timestamptz '2026-12-01 10:00:30+00', '{"late":true}'), (52, timestamptz '2026-12-01 11:00+00', null)`)
    const second = await load(append)
    expect(tableOf(second, 'public.events')).toMatchObject({ strategy: 'append', rows: 52, inserted: 2, updated: 0, deleted: 0 })
    const third = await load(append)
    expect(tableOf(third, 'public.events')).toMatchObject({ inserted: 0 })
    expect(await tableRows(pair.destination, 'raw', 'events')).toEqual(await tableRows(pair.source, 'public', 'events'))

    const byId = { 'public.events': { strategy: 'append', cursor: 'event_id' } } as const
    await load(byId) // another cursor: a whole copy
    await pair.source.query(`insert into events values (53, now(), null)`)
    expect(tableOf(await load(byId), 'public.events')).toMatchObject({ rows: 1, inserted: 1 })
    expect(await markOf('public.events')).toEqual(['53'])
  })

  it('names a configured table the source does not have, and an incremental table without a key (exit 2)', async () => {
    const unknown = await failure(load({ 'public.ordres': { strategy: 'incremental', cursor: 'updated_at' } }))
    expect(unknown.exitCode).toBe(ExitCode.usage)
    expect(unknown.message).toBe('sources.postgres.tables names "public.ordres", which source "postgres" does not replicate.')
    await pair.source.query(`create table nokey (id int, at timestamptz)`)
    const nokey = await failure(load({ 'public.nokey': { strategy: 'incremental', cursor: 'at' } }))
    expect(nokey.exitCode).toBe(ExitCode.usage)
    expect(nokey.message).toBe('postgres.public.nokey (strategy "incremental"): the source table has no primary key, so the rows to update cannot be found.')
    await pair.source.query(`drop table nokey`)
  })
})
