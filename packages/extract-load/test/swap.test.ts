import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createPair, replicatePair, tableRows, type Pair } from './helpers.ts'

let pair: Pair
beforeAll(async () => {
  pair = await createPair(inject('pgAdminUrl'), 'swap')
  await pair.source.query(`
    create table orders (id bigint primary key, amount numeric(10, 2), note text);
    insert into orders select g, g / 100.0, 'order ' || g from generate_series(1, 200000) g;
    create table customers (id int primary key, name text);
    insert into customers select g, 'c' || g from generate_series(1, 50) g;
    alter table orders add column customer_id int references customers (id);
    update orders set customer_id = 1 + id % 50;`)
})
afterAll(() => pair.drop())

describe('atomic swap', () => {
  it('lets a reader see the previous complete table while the new one loads, and keeps views on it', async () => {
    await replicatePair(pair)
    await pair.destination.query(`create schema analytics; create view analytics.big_orders as select id, amount from raw.orders where amount > 1000;
      create view analytics.stg_customers as select id, name from raw.customers;
      create view analytics.customer_orders as select c.name, count(*) as orders from analytics.stg_customers c join raw.orders o on o.customer_id = c.id group by c.name`)
    await pair.source.query(`insert into orders select g, g / 100.0, 'order ' || g, 1 + g % 50 from generate_series(200001, 250000) g`)

    const seen: number[] = []
    let reading: Promise<void> | undefined
    const { summary } = await replicatePair(pair, {
      jobs: 2, // orders and customers swap concurrently; both drop and recreate analytics.customer_orders
      onEvent: (e) => {
        if (e.type === 'table-progress' && e.source === 'public.orders' && reading === undefined) {
          reading = pair.destination.query<{ n: string }>('select count(*) as n from raw.orders').then((rows) => void seen.push(Number(rows[0]?.n)))
        }
      },
    })
    await reading
    expect(seen).toEqual([200_000])
    expect(summary.tables.find((t) => t.source === 'public.orders')?.rows).toBe(250_000)
    expect(await tableRows(pair.destination, 'raw', 'orders')).toEqual(await tableRows(pair.source, 'public', 'orders'))
    // the view was recreated on the new table, the foreign key added back
    const { n } = (await pair.destination.query<{ n: string }>('select count(*) as n from analytics.big_orders'))[0]!
    expect(Number(n)).toBe(250_000 - 100_000)
    const perCustomer = await pair.destination.query<{ total: string }>('select sum(orders)::text as total from analytics.customer_orders')
    expect(perCustomer).toEqual([{ total: '250000' }])
    const fks = await pair.destination.query<{ conname: string; convalidated: boolean }>(
      `select conname, convalidated from pg_constraint where conrelid = 'raw.orders'::regclass and contype = 'f'`,
    )
    expect(fks).toEqual([{ conname: 'orders_customer_id_fkey', convalidated: true }])
  })
})
