import type {} from '@elt/core/testing/global-setup' // declares inject('pgAdminUrl')
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import copyStreams from 'pg-copy-streams'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { connectClient } from '@elt/core'
import { loadSources, postgresReader, type LoadSourcesSummary } from '../src/index.ts'
import { deleteMissingKeys } from '../src/write/merge/delete-missing-keys.ts'
import { sortedKeyOrder } from '../src/write/merge/sorted-key-order.ts'
import type { TableStrategy } from '../src/write/table-strategy.ts'
import { createPair, tableRows, type Pair } from './helpers.ts'

let pair: Pair
beforeAll(async () => {
  pair = await createPair(inject('pgAdminUrl'), 'compare_keys')
})
afterAll(async () => {
  await pair?.drop()
})

/** The rows of a binary COPY, each a Buffer (a small test query, so collecting them is fine). */
async function binaryRows(url: string, sql: string, recordBytes: number): Promise<Buffer[]> {
  const client = await connectClient({ label: 'test', url })
  try {
    const chunks: Buffer[] = []
    await pipeline(client.query(copyStreams.to(sql)), new Writable({ write: (c: Buffer, _e, done) => void (chunks.push(c), done()) }))
    const bytes = Buffer.concat(chunks)
    const rows: Buffer[] = []
    for (let at = 19; bytes.readInt16BE(at) !== -1; at += recordBytes) rows.push(bytes.subarray(at, at + recordBytes))
    return rows
  } finally {
    await client.end()
  }
}

describe('keys compared in order as they stream', () => {
  it('orders the binary form of each supported type as PostgreSQL orders the values', async () => {
    await pair.source.query(`drop table if exists k; create table k (i2 smallint, i4 int, i8 bigint, d date, ts timestamp, tz timestamptz, u uuid, b boolean);
      insert into k select (g % 7 - 3)::smallint, g % 11 - 5, (g % 13 - 6)::bigint * 1537228672809129301, case g % 5 when 0 then '-infinity' when 1 then 'infinity' else date '2000-01-01' + (g % 9 - 4) * 400 end,
                           timestamp '2000-01-01' + (g % 17 - 8) * interval '1 day 1 second', timestamptz '1999-12-31 23:59:59.999999+00' + (g % 3) * interval '1 microsecond',
                           ('00000000-0000-0000-0000-0000000000' || lpad(to_hex(g % 256), 2, '0'))::uuid, g % 2 = 0
        from generate_series(1, 400) g`)
    const columns = [
      { name: 'i2', type: 'smallint' }, { name: 'i4', type: 'integer' }, { name: 'i8', type: 'bigint' }, { name: 'd', type: 'date' },
      { name: 'ts', type: 'timestamp without time zone' }, { name: 'tz', type: 'timestamp with time zone' }, { name: 'u', type: 'uuid' }, { name: 'b', type: 'boolean' },
    ]
    for (const key of [['i2'], ['i4'], ['i8'], ['d'], ['ts'], ['tz'], ['u'], ['b'], ['b', 'i8', 'u'], ['d', 'i2', 'tz', 'i4']]) {
      const order = sortedKeyOrder(columns, key)!
      const rows = await binaryRows(pair.source.url, `COPY (SELECT ${order.orderBy} FROM k ORDER BY ${order.orderBy}) TO STDOUT (FORMAT binary)`, order.recordBytes)
      expect(rows).toHaveLength(400)
      const sorted = [...rows].reverse().sort((a, b) => order.compare(a, 0, b, 0))
      expect(sorted.map((r) => r.toString('hex')), key.join(', ')).toEqual(rows.map((r) => r.toString('hex')))
      for (let i = 1; i < rows.length; i++) expect(Math.sign(order.compare(rows[i - 1]!, 0, rows[i]!, 0)) <= 0, key.join(', ')).toBe(true)
    }
    // text sorts by collation, numeric has no fixed width: the anti-join handles those
    expect(sortedKeyOrder([{ name: 's', type: 'text' }], ['s'])).toBeUndefined()
    expect(sortedKeyOrder([{ name: 'i', type: 'integer' }, { name: 'n', type: 'numeric' }], ['i', 'n'])).toBeUndefined()
  })

  it('deletes exactly the raw keys the source lacks: first, last, runs, past either end; spilling to a file', async () => {
    await pair.source.query(`drop table if exists src; create table src (a int, u uuid, primary key (a, u));
      insert into src select g / 3, md5(g::text)::uuid from generate_series(0, 89999) g where g % 7 <> 0 and g between 3 and 89000`)
    await pair.destination.query(`drop table if exists raw_keys; create table raw_keys (a int, u uuid, note text, primary key (a, u));
      insert into raw_keys select g / 3, md5(g::text)::uuid, 'x' from generate_series(0, 80000) g`)
    // kept: the raw keys the source has (g ≥ 3, g % 7 ≠ 0); gone: the rest, first keys and runs included; the source also has keys past the raw table's last
    const kept = `select g / 3 as a, md5(g::text)::uuid::text as u from generate_series(0, 80000) g where g >= 3 and g % 7 <> 0 order by 1, 2`
    const gone = 80001 - (await pair.destination.query(kept)).length
    const order = sortedKeyOrder([{ name: 'a', type: 'integer' }, { name: 'u', type: 'uuid' }], ['a', 'u'])!
    const source = await connectClient({ label: 'source', url: pair.source.url })
    const destination = await connectClient({ label: 'destination', url: pair.destination.url })
    try {
      await source.query('begin isolation level repeatable read')
      await destination.query('begin')
      const out = source.query(copyStreams.to(`COPY (SELECT ${order.orderBy} FROM src ORDER BY ${order.orderBy}) TO STDOUT (FORMAT binary)`))
      const failures: string[] = []
      const deleted = await deleteMissingKeys({
        destination,
        target: 'public.raw_keys',
        key: ['a', 'u'],
        order,
        sourceKeys: { label: 'src (keys)', stream: out, format: { kind: 'binary' }, rowsSent: () => out.rowCount },
        onFailure: (end) => failures.push(end),
        spoolMemoryBytes: 1, // > 1 MB of keys (34,000+ of 30 bytes): the spool goes to a file
      })
      await destination.query('commit')
      expect(failures).toEqual([])
      expect(deleted).toBe(gone)
    } finally {
      await Promise.all([source.end(), destination.end()])
    }
    const left = await pair.destination.query<{ a: number; u: string }>(`select a, u::text from raw_keys order by a, u`)
    expect(left).toEqual(await pair.destination.query(kept))
  })

  it('when one side dies mid-walk: the other is closed at once, nothing is deleted, the run never hangs', async () => {
    await pair.source.query(`drop table if exists src; create table src (id bigint primary key); insert into src select generate_series(1, 1000)`)
    await pair.destination.query(`drop table if exists raw_keys; create table raw_keys (id bigint primary key); insert into raw_keys select generate_series(1, 2000)`)
    const order = sortedKeyOrder([{ name: 'id', type: 'bigint' }], ['id'])!
    for (const dying of ['source', 'destination'] as const) {
      // a lock on the dying side's table holds its key read back; its backend is terminated while the other side streams
      const holderDb = dying === 'source' ? pair.source : pair.destination
      const holder = await connectClient({ label: 'holder', url: holderDb.url })
      await holder.query(`begin; lock table ${dying === 'source' ? 'src' : 'raw_keys'} in access exclusive mode`)
      const source = await connectClient({ label: 'source', url: pair.source.url })
      const destination = await connectClient({ label: 'destination', url: pair.destination.url })
      const victim = dying === 'source' ? source : destination
      const pid = (await victim.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid
      await source.query('begin isolation level repeatable read')
      await destination.query('begin')
      const out = source.query(copyStreams.to(`COPY (SELECT ${order.orderBy} FROM src ORDER BY ${order.orderBy}) TO STDOUT (FORMAT binary)`))
      const failures: string[] = []
      let cancelled = false
      const walking = deleteMissingKeys({
        destination,
        target: 'public.raw_keys',
        key: ['id'],
        order,
        sourceKeys: { label: 'src (keys)', stream: out, format: { kind: 'binary' }, rowsSent: () => out.rowCount, cancel: () => void ((cancelled = true), source.end().catch(() => {})) },
        onFailure: (end) => failures.push(end),
      }).then(() => undefined, (e: unknown) => e)
      for (let i = 0; i < 200; i++) {
        const waiting = await holderDb.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where pid = $1 and wait_event_type = 'Lock'`, [pid])
        if (waiting[0]!.n === 1) break
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
      await holderDb.query('select pg_terminate_backend($1)', [pid])
      const error = await walking
      await holder.query('rollback')
      await holder.end()
      expect(error, dying).toBeInstanceOf(Error)
      expect(failures, dying).toEqual([dying])
      // the end that did not fail was closed without waiting for it: the source part cancelled, or the destination (in COPY OUT) discarded
      if (dying === 'destination') expect(cancelled).toBe(true)
      else expect(await destination.query('select 1').then(() => 'open', () => 'closed')).toBe('closed')
      await Promise.all([source.end().catch(() => {}), destination.end().catch(() => {})])
      expect((await pair.destination.query<{ n: number }>('select count(*)::int as n from raw_keys'))[0]!.n, dying).toBe(2000)
    }
  })

  it('through a run: an integer key takes the ordered walk, a text key the anti-join, both delete the same rows', async () => {
    await pair.source.query(`drop table if exists by_id, by_code;
      create table by_id (id bigint primary key, v text, at timestamptz not null);
      create table by_code (code text collate "C" primary key, v text, at timestamptz not null);
      insert into by_id select g - 500, 'v', timestamptz '2026-01-01' + g * interval '1 second' from generate_series(1, 3000) g;
      insert into by_code select 'c' || g, 'v', timestamptz '2026-01-01' + g * interval '1 second' from generate_series(1, 3000) g;`)
    await pair.destination.query('drop schema if exists raw cascade; drop schema if exists _elt cascade')
    const strategy: TableStrategy = { strategy: 'incremental', cursor: 'at', deletes: 'compare-keys' }
    const run = (): Promise<LoadSourcesSummary> =>
      loadSources({
        sources: [{ name: 'postgres', reader: postgresReader, config: { schemas: ['public'], include: ['public.by_id', 'public.by_code'], tables: { 'public.by_id': strategy, 'public.by_code': strategy } }, targetSchema: 'raw', database: { label: 'source', url: pair.source.url } }],
        destination: { label: 'destination', url: pair.destination.url },
        jobs: 2,
        retry: { maxRetries: 0, delaySeconds: 0.1 },
      })
    await run()
    const gone = `id % 10 = 3 or id < -400 or id > 2450` // the first and last keys, and every tenth one (negative ones too)
    const [expected] = await pair.source.query<{ deleted: number; updated: number }>(
      `select count(*) filter (where ${gone})::int as deleted, count(*) filter (where id % 10 = 4 and not (${gone}))::int as updated from by_id`,
    )
    await pair.source.query(`delete from by_id where ${gone}; delete from by_code where code like '%3' or code < 'c2';
                             update by_id set v = 'w', at = at + interval '1 year' where id % 10 = 4`)
    const second = await run()
    const counts = Object.fromEntries(second.tables.map((t) => [t.source, { updated: t.updated, deleted: t.deleted }]))
    expect(counts['public.by_id']).toEqual(expected)
    expect(counts['public.by_code']?.deleted).toBe(1111 + 300 - 111) // c1…c1999 (1,111 codes below 'c2') and codes ending in 3 (300), counted once
    for (const table of ['by_id', 'by_code']) expect(await tableRows(pair.destination, 'raw', table), table).toEqual(await tableRows(pair.source, 'public', table))
  })
})
