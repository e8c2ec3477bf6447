import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { EltError, connectClient, describeError } from '@elt/core'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { contentHash } from '../src/verify/content-hash.ts'
import { createPair, dropOddRowsOnLoad, queryIn, replicatePair } from './helpers.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'verify')
  await db.query(`
    create table a (id int, v text, f float8);
    insert into a select g, 'v' || g, g / 3.0 from generate_series(1, 1000) g;
    create table b (id int, v text, f float8);
    insert into b select g, 'v' || g, g / 3.0 from generate_series(1000, 1, -1) g;`)
})
afterAll(() => db.drop())

describe('contentHash', () => {
  it('is independent of row order and changes with any value', async () => {
    const client = await connectClient({ label: 'destination', url: db.url })
    try {
      const [ha, hb] = [await contentHash(client, '"public"."a"'), await contentHash(client, '"public"."b"')]
      expect(ha).toEqual(hb)
      expect(ha.rows).toBe(1000)
      await client.query(`update b set v = 'v500 ' where id = 500`)
      expect(await contentHash(client, '"public"."b"')).not.toEqual(ha)
    } finally {
      await client.end()
    }
  })
})

describe('row counts', () => {
  it("fails a table whose destination COPY loaded fewer rows than the source's COPY sent, records it, and keeps the previous copy", async () => {
    const pair = await createPair(inject('pgAdminUrl'), 'counts')
    try {
      await pair.source.query(`
        create table counted (id int primary key, skip_odd boolean);
        insert into counted select g, false from generate_series(1, 1000) g;
        create table other (id int primary key);
        insert into other select generate_series(1, 10);`)
      await replicatePair(pair, { jobs: 1 })
      await pair.source.query(`insert into counted select g, false from generate_series(1001, 1100) g`)
      // a destination trigger drops odd rows: the destination's COPY then reports fewer rows than the source's
      await dropOddRowsOnLoad(pair.destination)
      const error = await replicatePair(pair, { jobs: 1 }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(EltError)
      expect(describeError(error)).toContain('Row count mismatch for public.counted: 1100 rows read from the source, 550 written to raw.counted')
      const loads = await pair.destination.query<{ source_table: string; status: string; message: string | null }>(
        `select source_table, status, message from _elt.table_loads
          where run_id = (select run_id from _elt.replications order by started_at desc limit 1) order by 1`,
      )
      // the other table is loaded all the same: one table's failure does not hold it back
      expect(loads.map((l) => [l.source_table, l.status])).toEqual([['public.counted', 'error'], ['public.other', 'done']])
      expect(loads[0]?.message).toContain('Row count mismatch')
      const [kept] = await queryIn<{ n: number }>(pair.destination, 'raw', 'select count(*)::int as n from raw.counted')
      expect(kept).toEqual({ n: 1000 })
    } finally {
      await pair.drop()
    }
  })
})

describe('replicate with verify', () => {
  it('hashes a table inherited from by its own rows only, as COPY copies them, and analyses every table', async () => {
    const pair = await createPair(inject('pgAdminUrl'), 'inherit')
    try {
      await pair.source.query(`
        create table base_events (id int primary key, note text);
        create table special_events (extra int) inherits (base_events);
        insert into base_events select g, 'base ' || g from generate_series(1, 40) g;
        insert into special_events select g, 'special ' || g, g * 10 from generate_series(41, 43) g;`)
      const { summary } = await replicatePair(pair, { verify: true })
      expect(summary.tables.map((t) => [t.target, t.rows]).sort()).toEqual([['raw.base_events', 40], ['raw.special_events', 3]])
      const [base] = await queryIn<{ n: number; max: number }>(pair.destination, 'raw', 'select count(*)::int as n, max(id) as max from raw.base_events')
      expect(base).toEqual({ n: 40, max: 40 })
      const special = await queryIn<{ id: number; extra: number }>(pair.destination, 'raw', 'select id, extra from raw.special_events order by id')
      expect(special).toEqual([{ id: 41, extra: 410 }, { id: 42, extra: 420 }, { id: 43, extra: 430 }])
      // ANALYZE ran on each table before its swap: reltuples is -1 on a table never analysed
      const analysed = await queryIn<{ relname: string; reltuples: number }>(
        pair.destination,
        'raw',
        `select relname, reltuples::int as reltuples from pg_class where relnamespace = 'raw'::regnamespace and relkind = 'r' order by 1`,
      )
      expect(analysed).toEqual([{ relname: 'base_events', reltuples: 40 }, { relname: 'special_events', reltuples: 3 }])
    } finally {
      await pair.drop()
    }
  })
})
