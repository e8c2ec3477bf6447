import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, inject, it } from 'vitest'
import pg from 'pg'
import { describeError, sleep } from '@elt/core'
import type { ReplicationEvent } from '../src/index.ts'
import { createPair, replicatePair, type Pair } from './helpers.ts'

const orderRows = 400_000
const smallTables = ['public.customers', 'public.order_notes', 'public.payments']

/** A big table between small ones, keys every way: self-reference, to and from the big table, on a partitioned table and on a partition. */
const schema = `
  create table customers (id int primary key, referred_by int references customers (id), name text not null);
  insert into customers select g, nullif(g - 1, 0), 'customer ' || g from generate_series(1, 200) g;
  create table orders (id bigint primary key, customer_id int not null references customers (id), note text);
  insert into orders select g, 1 + g % 200, 'order ' || g from generate_series(1, ${orderRows}) g;
  create table order_notes (id int primary key, order_id bigint not null references orders (id) on delete cascade, body text);
  insert into order_notes select g, g * 7, 'note ' || g from generate_series(1, 100) g;
  create table payments (id int, customer_id int not null, paid_on date not null, primary key (id, paid_on)) partition by range (paid_on);
  create table payments_2024 partition of payments for values from ('2024-01-01') to ('2025-01-01');
  create table payments_2025 partition of payments for values from ('2025-01-01') to ('2026-01-01');
  alter table payments add constraint payments_customer_fkey foreign key (customer_id) references customers (id);
  alter table payments_2024 add constraint payments_2024_customer_fkey foreign key (customer_id) references customers (id);
  insert into payments select g, 1 + g % 200, date '2024-06-01' + g from generate_series(1, 300) g;`

interface Key {
  table: string
  name: string
  definition: string
  validated: boolean
}

/** The foreign keys in `raw` (those declared on a table or partition, not the clones PostgreSQL makes for partitions). */
async function keysOf(pair: Pair): Promise<Key[]> {
  return pair.destination.query<Key>(
    `select c.relname as table, con.conname as name, pg_get_constraintdef(con.oid) as definition, con.convalidated as validated
       from pg_constraint con join pg_class c on c.oid = con.conrelid
      where con.contype = 'f' and con.conparentid = 0 and c.relnamespace = 'raw'::regnamespace order by 1, 2`,
  )
}
/** Without whether a key is validated (`pg_get_constraintdef` appends ` NOT VALID` then). */
const declared = (keys: Key[]) => keys.map(({ table, name, definition }) => ({ table, name, definition: definition.replace(/ NOT VALID$/, '') }))
const expectedNames = [
  'customers.customers_referred_by_fkey',
  'order_notes.order_notes_order_id_fkey',
  'orders.orders_customer_id_fkey',
  'payments.payments_customer_fkey',
  'payments_2024.payments_2024_customer_fkey',
]

const pairs: Pair[] = []
afterAll(() => Promise.all(pairs.map((p) => p.drop())))

async function replicatedPair(prefix: string): Promise<{ pair: Pair; before: Key[] }> {
  const pair = await createPair(inject('pgAdminUrl'), prefix)
  pairs.push(pair)
  await pair.source.query(schema)
  expect((await replicatePair(pair)).summary.status).toBe('success')
  const before = await keysOf(pair)
  expect(before.map((k) => `${k.table}.${k.name}`)).toEqual(expectedNames)
  expect(before.every((k) => k.validated)).toBe(true)
  return { pair, before }
}

describe('foreign keys across runs', () => {
  it('are all there at every commit of a rerun, and validated at its end', async () => {
    const { pair, before } = await replicatedPair('fk_commits')
    await pair.source.query(`insert into customers values (201, 200, 'new'); insert into orders values (${orderRows + 1}, 201, 'new')`)
    const seen: Promise<Key[]>[] = []
    const { summary } = await replicatePair(pair, {
      onEvent: (e) => {
        // a table's `table-finished` comes after its swap committed: every key must be there then
        if (e.type === 'table-finished' || e.type === 'step-started') seen.push(keysOf(pair))
      },
    })
    expect(summary.status).toBe('success')
    const states = await Promise.all(seen)
    expect(states.length).toBeGreaterThanOrEqual(4 + 5)
    for (const state of states) expect(declared(state)).toEqual(declared(before))
    expect(await keysOf(pair)).toEqual(before) // same definitions, validated
  })

  it('survive a replicate killed with SIGKILL after some swaps, and are validated by the next run', async () => {
    const { pair, before } = await replicatedPair('fk_kill')
    const oidsOf = () => pair.destination.query<{ relname: string; oid: number }>(`select relname, oid::int from pg_class where relnamespace = 'raw'::regnamespace and relkind in ('r', 'p') and not relispartition order by 1`)
    const oidsBefore = await oidsOf()

    const script = fileURLToPath(new URL('./support/replicate-process.ts', import.meta.url))
    // orders' stream stops after its first chunk: it is surely still loading when the small tables are swapped in
    const child = spawn(process.execPath, ['--import', 'tsx', script, pair.source.url, pair.destination.url, 'orders'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const events: (ReplicationEvent | { type: 'stalled'; table: string })[] = []
    let stderr = ''
    let buffered = ''
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString()
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        events.push(JSON.parse(buffered.slice(0, nl)) as ReplicationEvent)
        buffered = buffered.slice(nl + 1)
      }
    })
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
    try {
      // kill once the small tables are swapped in while the big one is still loading
      const finished = (source: string) => events.some((e) => e.type === 'table-finished' && e.source === source)
      const stalled = () => events.some((e) => e.type === 'stalled')
      for (const deadline = Date.now() + 60_000; Date.now() < deadline && child.exitCode === null; await sleep(10)) {
        if (smallTables.every(finished) && stalled()) break
      }
      expect(smallTables.every(finished) && stalled(), `the small tables did not finish while orders was loading: ${stderr}`).toBe(true)
      expect(finished('public.orders'), 'orders finished before the kill').toBe(false)
      child.kill('SIGKILL')
      expect(await exited).toBe('SIGKILL')
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
    for (let i = 0; i < 100; i++) {
      const active = await pair.destination.query(`select 1 from pg_stat_activity where datname = current_database() and application_name like 'elt-replicate%'`)
      if (active.length === 0) break
      await sleep(100)
    }

    // the small tables are new copies, orders the previous one; every key is there (re-added NOT VALID by the swaps)
    const oidsAfter = await oidsOf()
    const changed = oidsAfter.filter((r) => oidsBefore.find((b) => b.relname === r.relname)?.oid !== r.oid).map((r) => r.relname)
    expect(changed).toEqual(['customers', 'order_notes', 'payments'])
    expect(declared(await keysOf(pair))).toEqual(declared(before))
    expect(Number((await pair.destination.query<{ n: string }>('select count(*) as n from raw.orders'))[0]?.n)).toBe(orderRows)

    expect((await replicatePair(pair)).summary.status).toBe('success')
    expect(await keysOf(pair)).toEqual(before)
  })

  it('names a reader of a table the swapped table references when it keeps the swap (which drops the key) waiting', async () => {
    const pair = await createPair(inject('pgAdminUrl'), 'fk_lock')
    pairs.push(pair)
    await pair.source.query(`create table customers (id int primary key); insert into customers select generate_series(1, 10);
      create table orders (id int primary key, customer_id int references customers (id)); insert into orders select g, 1 + g % 10 from generate_series(1, 100) g;`)
    await replicatePair(pair)
    const reader = new pg.Client({ connectionString: pair.destination.url, application_name: 'bi-reader' })
    await reader.connect()
    try {
      await reader.query('begin')
      await reader.query('select count(*) from raw.customers')
      const pid = (await reader.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid
      const error = await replicatePair(pair, { include: ['orders'], swapLockWait: { lockTimeoutMs: 100, retries: 1, backoffMs: 50 } }).catch((e: unknown) => e)
      expect(describeError(error)).toMatch(new RegExp(`pid ${pid} \\(application "bi-reader".* holds AccessShareLock on raw\\.customers`))
    } finally {
      await reader.end()
    }
    expect(declared(await keysOf(pair)).map((k) => k.name)).toEqual(['orders_customer_id_fkey'])
  })
})
