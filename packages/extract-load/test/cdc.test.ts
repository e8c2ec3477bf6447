import type {} from '@elt/core/testing/global-setup'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, startTestServer, type TestServer } from '@elt/core/testing'
import pg from 'pg'
import { cdcSlotStatus, dropSlotAndPublication } from '../src/sources/postgres-cdc/index.ts'
import { createCdcPair, rowsOf, runCdc } from './support/cdc-helpers.ts'

let server: TestServer
beforeAll(async () => {
  server = await startTestServer(process.env, { walLevel: 'logical' })
})
afterAll(async () => {
  await server?.stop()
})

describe('cdc', () => {
  it('copies the tables with the slot snapshot, then streams the changes made meanwhile: none lost, none doubled', async () => {
    const pair = await createCdcPair(server.adminUrl, 'cdc_copy')
    try {
      await pair.source.query(`create table accounts (id int primary key, name text, balance numeric(12,2), at timestamptz default clock_timestamp());
        insert into accounts select g, repeat('a', 200) || g, g * 1.5 from generate_series(1, 200000) g;
        create table log (id bigint generated always as identity, note text);
        alter table log replica identity full`)
      let stop = false
      let writes = 0
      const writer = (async () => {
        for (let i = 0; !stop; i++) {
          await pair.source.query(`begin; insert into accounts values (${1000000 + i}, 'new', 1); update accounts set balance = balance + 1, at = clock_timestamp() where id = ${1 + ((i * 7919) % 50000)}; delete from accounts where id = ${50000 - i}; insert into log (note) values ('w${i}'); commit`)
          writes++
        }
      })()
      // writes committed between the slot's creation (its snapshot) and the copy's swap: the hand-over window
      let atSlot: number | undefined
      let atCopied: number | undefined
      const watching = (async () => {
        while (atCopied === undefined && !stop) {
          if (atSlot === undefined && (await pair.source.query('select 1 from pg_replication_slots where slot_name = $1', [`elt_${pair.pipeline}`])).length > 0) atSlot = writes
          if (atSlot !== undefined && (await pair.destination.query(`select to_regclass('raw.accounts') is not null as ok`))[0]?.ok) atCopied = writes
        }
      })()
      const first = await runCdc(pair, ['public.accounts', 'public.log'])
      stop = true
      await Promise.all([writer, watching])
      expect(first.initialCopy?.tables.map((t) => t.target).sort()).toEqual(['raw.accounts', 'raw.log'])
      expect((atCopied ?? 0) - (atSlot ?? Infinity)).toBeGreaterThan(0)
      const second = await runCdc(pair, ['public.accounts', 'public.log'])
      expect(second.initialCopy).toBeUndefined()
      expect(await rowsOf(pair.destination, 'raw.accounts', 'id')).toEqual(await rowsOf(pair.source, 'public.accounts', 'id'))
      expect(await rowsOf(pair.destination, 'raw.log', 'id, note')).toEqual(await rowsOf(pair.source, 'public.log', 'id, note'))
    } finally {
      await pair.drop()
    }
  })

  it('an update leaving a TOASTed column unchanged keeps its value (the column is not sent)', async () => {
    const pair = await createCdcPair(server.adminUrl, 'cdc_toast')
    try {
      // random text does not compress: stored out of line, so an update of another column sends it as "unchanged"
      await pair.source.query(`create table docs (id int primary key, body text, n int);
        insert into docs select g, (select string_agg(md5(random()::text || g || i), '') from generate_series(1, 400) i), 0 from generate_series(1, 3) g`)
      await runCdc(pair, ['public.docs'])
      await pair.source.query(`update docs set n = n + 1; update docs set n = n + 1 where id = 2`)
      await runCdc(pair, ['public.docs'])
      const sizes = await pair.destination.query<{ l: number }>('select length(body) as l from raw.docs order by id')
      expect(sizes.map((r) => r.l)).toEqual([12800, 12800, 12800])
      expect(await rowsOf(pair.destination, 'raw.docs', 'id')).toEqual(await rowsOf(pair.source, 'public.docs', 'id'))
    } finally {
      await pair.drop()
    }
  })

  it('applies a changed primary key, and updates/deletes of duplicate rows in a REPLICA IDENTITY FULL table one row at a time', async () => {
    const pair = await createCdcPair(server.adminUrl, 'cdc_ident')
    try {
      await pair.source.query(`create table keyed (id int primary key, v text); insert into keyed values (1, 'a'), (2, 'b');
        create table bag (v text, n int); alter table bag replica identity full; insert into bag values ('x', 1), ('x', 1), ('y', 2)`)
      await runCdc(pair, ['public.bag', 'public.keyed'])
      await pair.source.query(`update keyed set id = 10 where id = 1; update keyed set id = 1, v = 'c' where id = 2; update keyed set id = 2 where id = 10;
        update bag set n = 5 where ctid = (select ctid from bag where v = 'x' limit 1); delete from bag where v = 'y'; insert into bag values (null, null); update bag set v = 'z' where v is null`)
      await runCdc(pair, ['public.bag', 'public.keyed'])
      expect(await rowsOf(pair.destination, 'raw.keyed', 'id')).toEqual(await rowsOf(pair.source, 'public.keyed', 'id'))
      expect(await rowsOf(pair.destination, 'raw.bag', 'v, n')).toEqual(await rowsOf(pair.source, 'public.bag', 'v, n'))
    } finally {
      await pair.drop()
    }
  })

  it('refuses a table without a primary key and without REPLICA IDENTITY FULL, naming the statement to run', async () => {
    const pair = await createCdcPair(server.adminUrl, 'cdc_nopk')
    try {
      await pair.source.query('create table loose (id int, v text)')
      await expect(runCdc(pair, ['public.loose'])).rejects.toMatchObject({ hint: expect.stringContaining('ALTER TABLE "public"."loose" REPLICA IDENTITY FULL;') })
      expect(await pair.source.query('select slot_name from pg_replication_slots where slot_name = $1', [`elt_${pair.pipeline}`])).toEqual([])
    } finally {
      await pair.drop()
    }
  })

  it('refuses a source without wal_level=logical, saying what to change', async () => {
    const source = await createTestDatabase(inject('pgAdminUrl'), 'cdc_minimal')
    const destination = await createTestDatabase(inject('pgAdminUrl'), 'cdc_minimal_dst')
    try {
      await source.query('create table t (id int primary key)')
      const run = runCdc({ source, destination, pipeline: 'minimal', drop: async () => {} }, ['public.t'])
      await expect(run).rejects.toThrow(/wal_level=minimal; change data capture .* needs wal_level=logical/)
      await expect(run).rejects.toMatchObject({ hint: expect.stringContaining('ALTER SYSTEM SET wal_level = logical') })
    } finally {
      await Promise.all([source.drop(), destination.drop()])
    }
  })

  it('a column added on the source during streaming is added to the raw table before the rows that use it', async () => {
    const pair = await createCdcPair(server.adminUrl, 'cdc_ddl')
    try {
      await pair.source.query('create table items (id int primary key, name text); insert into items values (1, \'a\')')
      await runCdc(pair, ['public.items'])
      await pair.source.query(`insert into items values (2, 'b'); alter table items add column price numeric(10,2); insert into items values (3, 'c', 9.95); update items set price = 1.50 where id = 1`)
      await runCdc(pair, ['public.items'])
      expect(await pair.destination.query(`select format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = 'raw.items'::regclass and attname = 'price'`)).toEqual([{ type: 'numeric(10,2)' }])
      expect(await rowsOf(pair.destination, 'raw.items', 'id')).toEqual(await rowsOf(pair.source, 'public.items', 'id'))
      // a dropped column cannot be applied safely: the pipeline stops, nothing after the last applied transaction is written
      await pair.source.query(`alter table items drop column name; insert into items values (4, 4)`)
      await expect(runCdc(pair, ['public.items'])).rejects.toThrow(/column "name" no longer exists on the source/)
      expect(await pair.destination.query('select count(*)::int as n from raw.items')).toEqual([{ n: 3 }])
    } finally {
      await pair.drop()
    }
  })

  it('status shows the slot lag and retained WAL; drop removes slot and publication', async () => {
    const pair = await createCdcPair(server.adminUrl, 'cdc_status')
    const client = new pg.Client({ connectionString: pair.source.url })
    await client.connect()
    try {
      await pair.source.query('create table s (id int primary key)')
      await runCdc(pair, ['public.s'])
      const names = { slot: `elt_${pair.pipeline}`, publication: `elt_${pair.pipeline}` }
      const caughtUp = await cdcSlotStatus(client, names, new Date())
      expect(caughtUp).toMatchObject({ exists: true, active: false })
      await pair.source.query('insert into s select generate_series(1, 1000)')
      const behind = await cdcSlotStatus(client, names, new Date(Date.now() - 5000))
      // a run warns when the slot retains more WAL than cdc.warnRetainedWalBytes, and not below it
      const warnings: string[] = []
      const logger = { debug() {}, info() {}, error() {}, warn: (m: string) => void warnings.push(m) }
      await runCdc(pair, ['public.s'], { logger, warnRetainedWalBytes: 1024 ** 4 })
      expect(warnings).toEqual([])
      await runCdc(pair, ['public.s'], { logger, warnRetainedWalBytes: 1 })
      expect(warnings).toEqual([expect.stringMatching(new RegExp(`the slot "${names.slot}" retains \\d+ bytes of WAL on the source \\(warnRetainedWalBytes: 1\\)`))])
      expect(behind.lagBytes).toBeGreaterThan(caughtUp.lagBytes ?? 0)
      expect(behind.retainedBytes).toBeGreaterThanOrEqual(behind.lagBytes ?? 0)
      expect(behind.lagSeconds).toBeGreaterThanOrEqual(5)
      expect(await dropSlotAndPublication(client, names)).toEqual({ slot: true, publication: true })
      expect(await pair.source.query('select 1 from pg_replication_slots where slot_name = $1 union all select 1 from pg_publication where pubname = $1', [names.slot])).toEqual([])
      expect((await cdcSlotStatus(client, names, null)).exists).toBe(false)
    } finally {
      await client.end()
      await pair.drop()
    }
  })
})
