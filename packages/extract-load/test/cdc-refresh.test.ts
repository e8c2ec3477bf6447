import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '@elt/core/testing'
import { createCdcPair, rowsOf, runCdc } from './support/cdc-helpers.ts'

// Tables copied alone (--full-refresh of some cdc tables, a table added to the set) while the pipeline's slot goes on.

let server: TestServer
beforeAll(async () => {
  server = await startTestServer(process.env, { walLevel: 'logical' })
})
afterAll(async () => {
  await server?.stop()
})

type CdcPair = Awaited<ReturnType<typeof createCdcPair>>

/** Source transactions changing every table of `tables` (insert, non-idempotent update, delete) until stopped; resolves to their number. */
function writeUntilStopped(pair: CdcPair, tables: string[]): { stop: () => Promise<number> } {
  let stopped = false
  let writes = 0
  const running = (async () => {
    for (let i = 0; !stopped; i++) {
      const statements = tables.map((t) => `insert into ${t} values (${1_000_000 + i}, 0, 'new'); update ${t} set v = v + 1 where id = ${1 + ((i * 7919) % 10_000)}; delete from ${t} where id = ${20_000 - i};`)
      await pair.source.query(`begin; ${statements.join(' ')} commit`)
      writes++
    }
  })()
  return {
    stop: async () => {
      stopped = true
      await running
      return writes
    },
  }
}

const oidOf = async (pair: CdcPair, table: string) => (await pair.destination.query<{ oid: number }>(`select $1::regclass::oid::int as oid`, [table]))[0]!.oid

async function createTables(pair: CdcPair, names: string[], rows = 40_000): Promise<void> {
  for (const name of names) await pair.source.query(`create table ${name} (id int primary key, v int, pad text); insert into ${name} select g, 0, repeat('p', 100) from generate_series(1, ${rows}) g`)
}

describe('cdc tables copied alone', () => {
  it('--full-refresh of one of two cdc tables while both are written: the other is not copied, both equal the source, no change lost or doubled', async () => {
    const pair = await createCdcPair(server.adminUrl, 'cdc_refresh')
    try {
      await createTables(pair, ['a', 'b'])
      await runCdc(pair, ['public.a', 'public.b'])
      const [aBefore, bBefore] = [await oidOf(pair, 'raw.a'), await oidOf(pair, 'raw.b')]
      // writes before and during the refresh: in the stream before the copy's snapshot, after it, and in the copy itself
      const writer = writeUntilStopped(pair, ['a', 'b'])
      const refreshed = await runCdc(pair, ['public.a', 'public.b'], { refresh: ['public.a'] })
      const writes = await writer.stop()
      expect(writes).toBeGreaterThan(0)
      expect(refreshed.copied).toEqual(['public.a'])
      expect(refreshed.initialCopy?.tables.map((t) => t.source)).toEqual(['public.a'])
      expect(await oidOf(pair, 'raw.a')).not.toBe(aBefore)
      expect(await oidOf(pair, 'raw.b')).toBe(bBefore)
      const after = await runCdc(pair, ['public.a', 'public.b'])
      expect(after.copied).toEqual([])
      for (const t of ['a', 'b']) expect(await rowsOf(pair.destination, `raw.${t}`, 'id')).toEqual(await rowsOf(pair.source, `public.${t}`, 'id'))
    } finally {
      await pair.drop()
    }
  })

  it('a refreshed table whose columns changed before its copy: the skipped older changes of the old shape are not checked against the new raw table', async () => {
    const pair = await createCdcPair(server.adminUrl, 'cdc_reshape')
    try {
      await createTables(pair, ['a'], 100)
      await runCdc(pair, ['public.a'])
      await pair.source.query(`insert into a values (500, 1, 'old shape'); alter table a drop column pad, add column note text; insert into a values (501, 2, 'new shape')`)
      const refreshed = await runCdc(pair, ['public.a'], { refresh: ['public.a'] })
      expect(refreshed.copied).toEqual(['public.a'])
      await pair.source.query(`insert into a values (502, 3, 'after')`)
      await runCdc(pair, ['public.a'])
      expect(await rowsOf(pair.destination, 'raw.a', 'id')).toEqual(await rowsOf(pair.source, 'public.a', 'id'))
    } finally {
      await pair.drop()
    }
  })

  it('a table added to the cdc set is copied alone and then streamed; a removed one is no longer applied', async () => {
    const pair = await createCdcPair(server.adminUrl, 'cdc_added')
    try {
      await createTables(pair, ['a', 'c'], 20_000)
      await runCdc(pair, ['public.a'])
      const aBefore = await oidOf(pair, 'raw.a')
      const writer = writeUntilStopped(pair, ['a', 'c'])
      const added = await runCdc(pair, ['public.a', 'public.c'])
      await writer.stop()
      expect(added.copied).toEqual(['public.c'])
      expect(await oidOf(pair, 'raw.a')).toBe(aBefore)
      expect((await runCdc(pair, ['public.a', 'public.c'])).copied).toEqual([])
      await pair.source.query(`update c set v = v + 100 where id <= 10; delete from c where id = 11; insert into c values (2000000, 1, 'later')`)
      const streamed = await runCdc(pair, ['public.a', 'public.c'])
      expect(streamed.copied).toEqual([])
      expect(streamed.tables['public.c']).toMatchObject({ inserted: 1, updated: 10, deleted: 1 })
      for (const t of ['a', 'c']) expect(await rowsOf(pair.destination, `raw.${t}`, 'id')).toEqual(await rowsOf(pair.source, `public.${t}`, 'id'))

      // a leaves the set: its later changes are not applied, c goes on
      const aRows = await rowsOf(pair.destination, 'raw.a', 'id')
      await pair.source.query(`update a set v = -1; update c set v = -1 where id = 1`)
      const removed = await runCdc(pair, ['public.c'])
      expect(removed.copied).toEqual([])
      expect(await rowsOf(pair.destination, 'raw.a', 'id')).toEqual(aRows)
      expect(await rowsOf(pair.destination, 'raw.c', 'id')).toEqual(await rowsOf(pair.source, 'public.c', 'id'))
      expect(await pair.source.query(`select tablename from pg_publication_tables where pubname = $1`, [`elt_${pair.pipeline}`])).toEqual([{ tablename: 'c' }])
    } finally {
      await pair.drop()
    }
  })

  it('a run failing between the copy and recording it: the rerun copies the table again and stays exact', async () => {
    const pair = await createCdcPair(server.adminUrl, 'cdc_crash')
    try {
      await createTables(pair, ['a', 'b'], 20_000)
      await runCdc(pair, ['public.a', 'public.b'])
      // the destination refuses to record the finished copy of a (as a crash right after the copy's commit would leave it)
      await pair.destination.query(`create function fail_copy_record() returns trigger language plpgsql as $$ begin
          if new.copied_lsns->>'public.a' is not null and old.copied_lsns->>'public.a' is null then raise exception 'crash after the copy'; end if; return new; end $$;
        create trigger crash before update on _elt.cdc_pipelines for each row execute function fail_copy_record()`)
      const writer = writeUntilStopped(pair, ['a', 'b'])
      await expect(runCdc(pair, ['public.a', 'public.b'], { refresh: ['public.a'] })).rejects.toThrow(/crash after the copy/)
      await pair.destination.query(`drop trigger crash on _elt.cdc_pipelines; drop function fail_copy_record()`)
      // the stream went on meanwhile for nobody; the rerun (no refresh asked) copies a again, streams b
      const bBefore = await oidOf(pair, 'raw.b')
      const rerun = await runCdc(pair, ['public.a', 'public.b'])
      await writer.stop()
      expect(rerun.copied).toEqual(['public.a'])
      expect(await oidOf(pair, 'raw.b')).toBe(bBefore)
      await runCdc(pair, ['public.a', 'public.b'])
      for (const t of ['a', 'b']) expect(await rowsOf(pair.destination, `raw.${t}`, 'id')).toEqual(await rowsOf(pair.source, `public.${t}`, 'id'))
    } finally {
      await pair.drop()
    }
  })
})
