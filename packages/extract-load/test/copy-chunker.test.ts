import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import copyStreams from 'pg-copy-streams'
import { connectClient } from '@elt/core'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { CopyChunker } from '../src/write/merge/copy-chunker.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'chunker')
  await db.query(`
    create table t (id int, s text, b bytea, a int[], j jsonb, n numeric);
    insert into t select g, case when g % 3 = 0 then null when g % 3 = 1 then '' else E'line\\nbreak\\ttab\\\\ ' || repeat('x', g % 50) end,
                         case when g % 2 = 0 then '\\x00ff0a'::bytea end, array[g, null], jsonb_build_object('k', g), g / 7.0
      from generate_series(1, 2500) g;
    create table empty (like t);
    create table nothing ();
    insert into nothing select from generate_series(1, 7);`)
})
afterAll(() => db.drop())

/** The raw bytes of a COPY … TO STDOUT (a small test table, so collecting them is fine). */
async function copyBytes(sql: string): Promise<Buffer> {
  const client = await connectClient({ label: 'source', url: db.url })
  try {
    const chunks: Buffer[] = []
    await pipeline(client.query(copyStreams.to(sql)), new Writable({ write: (chunk: Buffer, _e, done) => void (chunks.push(chunk), done()) }))
    return Buffer.concat(chunks)
  } finally {
    await client.end()
  }
}

/** `bytes` fed in slices of `slice` bytes through a chunker of `size`; each payload loaded by its own COPY into `into`. */
async function loadInPayloads(bytes: Buffer, format: 'binary' | 'text', size: number, slice: number, into: string): Promise<{ payloads: number; rows: number }> {
  const slices = Array.from({ length: Math.ceil(bytes.length / slice) }, (_, i) => bytes.subarray(i * slice, (i + 1) * slice))
  const chunker = new CopyChunker(format, size)
  const client = await connectClient({ label: 'destination', url: db.url })
  let payloads = 0
  let rows = 0
  try {
    const source = Readable.from(slices)
    source.pipe(chunker)
    for await (const payload of chunker as AsyncIterable<Buffer>) {
      payloads++
      const copy = client.query(copyStreams.from(`COPY ${into} FROM STDIN (FORMAT ${format})`))
      await pipeline(Readable.from([payload]), copy)
      rows += copy.rowCount
    }
  } finally {
    await client.end()
  }
  expect(chunker.bytesIn).toBe(bytes.length)
  return { payloads, rows }
}

const sameRows = async (a: string, b: string) =>
  (await db.query<{ n: number }>(`select count(*)::int as n from ((table ${a} except all table ${b}) union all (table ${b} except all table ${a})) d`))[0]!.n

describe('cutting a COPY stream into payloads of whole rows', () => {
  for (const format of ['binary', 'text'] as const) {
    it(`${format}: every payload is a COPY input of its own, whatever the sizes and the slices`, async () => {
      const bytes = await copyBytes(`COPY t TO STDOUT (FORMAT ${format})`)
      for (const [size, slice] of [[1, 1], [1, 7], [100, 3], [4096, 1000], [30_000, 65_536], [1 << 20, 65_536]] as const) {
        await db.query('drop table if exists copy; create table copy (like t)')
        const { payloads, rows } = await loadInPayloads(bytes, format, size, slice, 'copy')
        expect(rows, `size ${size}, slices of ${slice}`).toBe(2500)
        expect(await sameRows('t', 'copy'), `size ${size}, slices of ${slice}`).toBe(0)
        // a payload closes at the last row boundary of the slice that took it past `size` bytes: one row each at size 1 in slices of 1, one payload in all at 1 MB
        if (size === 1 && slice === 1) expect(payloads).toBe(2500)
        if (size === 1 << 20) expect(payloads).toBe(1)
        if (size === 30_000) expect(payloads).toBeGreaterThan(1)
      }
    })
  }

  it('keeps a table without rows and a table without columns', async () => {
    for (const format of ['binary', 'text'] as const) {
      await db.query('drop table if exists copy; create table copy (like t)')
      expect(await loadInPayloads(await copyBytes(`COPY empty TO STDOUT (FORMAT ${format})`), format, 1, 1, 'copy')).toEqual({ payloads: 1, rows: 0 })
      await db.query('drop table if exists copy; create table copy ()')
      const { rows } = await loadInPayloads(await copyBytes(`COPY nothing TO STDOUT (FORMAT ${format})`), format, 1, 3, 'copy')
      expect(rows).toBe(7)
      expect((await db.query<{ n: number }>('select count(*)::int as n from copy'))[0]!.n).toBe(7)
    }
  })
})
