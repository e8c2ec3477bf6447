import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { collectProject, defineModel, defineSource } from '../src/index.ts'
import { build } from './db-helpers.ts'

interface Order {
  order_id: number
  status: string
  updated_at: string
}
const orders = defineSource<Order>({ schema: 'raw', name: 'orders' })
const model = (name: string, changedSince?: 'source') =>
  defineModel({
    name,
    materialized: 'incremental',
    from: { orders },
    query: (db) => db.selectFrom('orders').select(['order_id', 'status', 'updated_at']),
    incremental: { uniqueKey: ['order_id'], newerThan: 'updated_at', ...(changedSince ? { changedSince } : {}) },
  })
const byWindow = model('orders_by_window', 'source')
const byMax = model('orders_by_max')

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'changed_since')
  // the replication's records as @elt/extract-load's migrations create them (the columns read here)
  await db.query(`create schema raw;
    create table raw.orders (order_id int primary key, status text not null, updated_at timestamptz not null);
    insert into raw.orders select g, 'new', timestamptz '2026-12-01 10:00+00' + g * interval '1 minute' from generate_series(1, 10) g;
    create schema if not exists _elt;
    create table _elt.replications (run_id uuid, source_name text, status text, finished_at timestamptz);
    create table _elt.table_changes (run_id uuid, source_name text, source_table text, target_table text, strategy text, full_copy boolean,
      from_mark jsonb, to_mark jsonb, rows bigint, inserted bigint, updated bigint, deleted bigint);`)
})
afterAll(() => db.drop())

/** What a replication run records: one successful run and the window it changed in raw.orders. */
async function replicated(run: string, change: { fullCopy: boolean; from: string | null; inserted: number; updated: number }) {
  await db.query(`insert into _elt.replications values ($1, 'postgres', 'success', clock_timestamp())`, [run])
  await db.query(`insert into _elt.table_changes values ($1, 'postgres', 'public.orders', 'raw.orders', 'incremental', $2, $3::jsonb, null, 0, $4, $5, 0)`, [
    run,
    change.fullCopy,
    JSON.stringify(change.from === null ? null : [change.from]),
    change.inserted,
    change.updated,
  ])
}
const project = () => collectProject({ byWindow, byMax })
const rowsOf = async (table: string) => (await db.query<{ n: number }>(`select count(*)::int as n from analytics.${table}`))[0]!.n

describe("incremental.changedSince: 'source'", () => {
  it('reads past the start of the latest replication window: a late row inside the lookback is upserted, where max(newerThan) misses it', async () => {
    await replicated('00000000-0000-0000-0000-000000000001', { fullCopy: true, from: null, inserted: 10, updated: 0 })
    expect((await build(db, project())).status).toBe('success')
    expect([await rowsOf('orders_by_window'), await rowsOf('orders_by_max')]).toEqual([10, 10])

    // the next replication's window started at 10:05 (its mark 10:10 minus a 5-minute lookback): it brought a row of 10:07 and an update
    await db.query(`insert into raw.orders values (100, 'late', timestamptz '2026-12-01 10:07+00');
                    update raw.orders set status = 'paid', updated_at = timestamptz '2026-12-01 10:20+00' where order_id = 2`)
    await replicated('00000000-0000-0000-0000-000000000002', { fullCopy: false, from: '2026-12-01 10:05:00+00', inserted: 1, updated: 1 })
    const second = await build(db, project())
    expect(second.results.find((r) => r.name === 'orders_by_window')?.rowsAffected).toBe(7) // rows 6–10 re-read, the late row, the update
    expect(await db.query(`select order_id, status from analytics.orders_by_window where order_id in (2, 100) order by 1`)).toEqual([
      { order_id: 2, status: 'paid' },
      { order_id: 100, status: 'late' },
    ])
    expect(await db.query(`select count(*)::int as n from analytics.orders_by_max where order_id = 100`)).toEqual([{ n: 0 }])

    // a replication that changed nothing upstream: nothing is read
    await db.query(`update raw.orders set status = 'unrecorded' where order_id = 3`)
    await replicated('00000000-0000-0000-0000-000000000003', { fullCopy: false, from: '2026-12-01 10:15:00+00', inserted: 0, updated: 0 })
    const third = await build(db, project(), { selection: { select: ['orders_by_window'] } })
    expect(third.results.find((r) => r.name === 'orders_by_window')?.rowsAffected).toBe(0)
    expect(await db.query(`select status from analytics.orders_by_window where order_id = 3`)).toEqual([{ status: 'new' }])
  })

  it('needs newerThan', () => {
    expect(() =>
      defineModel({
        name: 'bad',
        materialized: 'incremental',
        from: { orders },
        query: (db) => db.selectFrom('orders').select(['order_id']),
        incremental: { uniqueKey: ['order_id'], changedSince: 'source' },
      }),
    ).toThrow('Model "bad" has incremental.changedSince but no incremental.newerThan: name the column that carries the source\'s cursor.')
  })
})
