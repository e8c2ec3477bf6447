import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { selectTables } from '../src/index.ts'
import { createPair, queryIn, replicatePair, tableRows, tablesOf, type Pair } from './helpers.ts'

describe('selectTables', () => {
  const tables = [
    { schema: 'public', name: 'films' },
    { schema: 'public', name: 'film_actors' },
    { schema: 'public', name: 'audit_log' },
    { schema: 'sales', name: 'films' },
  ]
  it('matches names in any schema, schema-qualified names and globs', () => {
    expect(selectTables(tables, { include: ['films'] })).toEqual([tables[0], tables[3]])
    expect(selectTables(tables, { include: ['public.film*'] })).toEqual([tables[0], tables[1]])
    expect(selectTables(tables, { include: ['public.film?', 'sales.?ilms'] })).toEqual([tables[0], tables[3]])
    expect(selectTables(tables, { exclude: ['*.audit_*', 'sales.*'] })).toEqual([tables[0], tables[1]])
    expect(selectTables(tables, {})).toEqual(tables)
  })
  it('rejects a name without wildcards that matches nothing (exit 2), in include and exclude', () => {
    expect(() => selectTables(tables, { include: ['flims'] })).toThrowError(/Unknown table "flims" in the replicate include list/)
    expect(() => selectTables(tables, { exclude: ['public.nope'] })).toThrowError(/Unknown table "public.nope" in the replicate exclude list/)
    expect(() => selectTables(tables, { include: ['nothing_*'] })).not.toThrow()
  })
})

let pair: Pair
beforeAll(async () => {
  pair = await createPair(inject('pgAdminUrl'), 'selection')
  await pair.source.query(`
    create type mood as enum ('sad', 'happy');
    create table customers (id int primary key, name text, m mood);
    insert into customers select g, 'c' || g, 'happy' from generate_series(1, 10) g;
    create table audit_log (id int, at timestamptz);
    insert into audit_log values (1, now());
    create schema sales;
    create type sales.channel as enum ('web', 'shop');
    create table sales.orders (id serial primary key, customer_id int references public.customers (id), m public.mood, ch sales.channel, moods public.mood[]);
    insert into sales.orders (customer_id, m, ch, moods) select 1 + g % 10, 'sad', 'web', '{sad,happy}' from generate_series(1, 30) g;`)
})
afterAll(() => pair.drop())

describe('schemas and patterns', () => {
  it('lands public in raw and sales in raw_sales, maps types and foreign keys across schemas, skips excluded tables', async () => {
    const { summary } = await replicatePair(pair, { schemas: ['public', 'sales'], exclude: ['audit_*'] })
    expect(summary.tables.map((t) => `${t.source} → ${t.target}`).sort()).toEqual(['public.customers → raw.customers', 'sales.orders → raw_sales.orders'])
    expect(await tablesOf(pair.destination, 'raw')).toEqual(['customers'])
    expect(await tablesOf(pair.destination, 'raw_sales')).toEqual(['orders'])
    expect(await tableRows(pair.destination, 'raw_sales', 'orders')).toEqual(await tableRows(pair.source, 'sales', 'orders'))
    const columns = await queryIn<{ attname: string; type: string }>(
      pair.destination,
      'raw_sales',
      `select attname, format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = 'raw_sales.orders'::regclass and attnum > 0 order by attnum`,
    )
    expect(columns.map((c) => `${c.attname} ${c.type}`)).toEqual(['id integer', 'customer_id integer', 'm raw.mood', 'ch channel', 'moods raw.mood[]'])
    const fks = await pair.destination.query<{ def: string }>(
      `select pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'raw_sales.orders'::regclass and contype = 'f'`,
    )
    expect(fks).toEqual([{ def: 'FOREIGN KEY (customer_id) REFERENCES raw.customers(id)' }])
    const seq = await pair.destination.query<{ last_value: string }>(`select last_value::text from raw_sales.orders_id_seq`)
    expect(seq).toEqual([{ last_value: '30' }])
  })

  it('resumes an interrupted run, and copies everything with fresh: true', async () => {
    // an interrupted run: the latest replication is still marked running (no process holds it), with customers done
    const interrupt = async () => {
      const [{ run_id: runId } = { run_id: '' }] = await pair.destination.query<{ run_id: string }>(
        `insert into _elt.replications (run_id, source, target_schema, status) select gen_random_uuid(), source, target_schema, 'running'
           from _elt.replications order by started_at desc limit 1 returning run_id`,
      )
      await pair.destination.query(
        `insert into _elt.table_loads (run_id, source_table, target_table, status, rows, bytes) values ($1, 'public.customers', 'raw.customers', 'done', 10, 100)`,
        [runId],
      )
      return runId
    }
    const runId = await interrupt()
    const resumed = await replicatePair(pair, { schemas: ['public', 'sales'], exclude: ['audit_*'] })
    expect(resumed.summary.tables.find((t) => t.source === 'public.customers')).toMatchObject({ resumed: true, rows: 10, resumedFrom: runId })
    expect(resumed.events.some((e) => e.type === 'table-resumed' && e.fromRunId === runId)).toBe(true)

    await interrupt()
    const fresh = await replicatePair(pair, { schemas: ['public', 'sales'], exclude: ['audit_*'], fresh: true })
    expect(fresh.summary.tables.every((t) => t.resumed === undefined)).toBe(true)
  })
})
