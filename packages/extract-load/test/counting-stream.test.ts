import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import copyStreams from 'pg-copy-streams'
import { connectClient } from '@elt/core'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { BinaryRowCounter } from '../src/load/binary-row-counter.ts'
import { CountingStream } from '../src/load/counting-stream.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'counting')
  await db.query(`
    create table t (id int, s text, b bytea, a int[], j jsonb);
    insert into t select g, case when g % 3 = 0 then null when g % 3 = 1 then '' else E'line\\nbreak ' || g end,
                         case when g % 2 = 0 then '\\x00ff'::bytea end, array[g, null], '{"k": "v"}'
      from generate_series(1, 2500) g;
    create table nothing ();
    insert into nothing select from generate_series(1, 7);`)
})
afterAll(() => db.drop())

/** The raw bytes of a COPY … TO STDOUT (a small test table, so collecting them is fine). */
async function copyBytes(sql: string): Promise<{ bytes: Buffer; rows: number }> {
  const client = await connectClient({ label: 'source', url: db.url })
  try {
    const chunks: Buffer[] = []
    const out = client.query(copyStreams.to(sql))
    await pipeline(out, new Writable({ write: (chunk: Buffer, _e, done) => void (chunks.push(chunk), done()) }))
    return { bytes: Buffer.concat(chunks), rows: out.rowCount }
  } finally {
    await client.end()
  }
}

describe('row counting without parsing values', () => {
  it('walks the binary framing across any chunk boundary', async () => {
    for (const table of ['t', 'nothing']) {
      const { bytes, rows } = await copyBytes(`COPY ${table} TO STDOUT (FORMAT binary)`)
      expect(rows).toBe(table === 't' ? 2500 : 7)
      for (const size of [1, 2, 3, 5, 19, 20, 4096, bytes.length]) {
        const counter = new BinaryRowCounter()
        for (let i = 0; i < bytes.length; i += size) counter.push(bytes.subarray(i, i + size))
        expect(counter.rows, `${table}, chunks of ${size}`).toBe(rows)
      }
    }
  })

  it('counts text rows by their newline bytes and passes every byte through', async () => {
    const { bytes, rows } = await copyBytes('COPY t TO STDOUT')
    const progress: number[] = []
    const stream = new CountingStream('text', (r) => progress.push(r), 0)
    const out: Buffer[] = []
    stream.on('data', (c: Buffer) => out.push(c))
    for (let i = 0; i < bytes.length; i += 1000) stream.write(bytes.subarray(i, i + 1000))
    stream.end()
    await new Promise((resolve) => stream.on('end', resolve))
    expect(stream.rows).toBe(rows)
    expect(stream.bytes).toBe(bytes.length)
    expect(Buffer.concat(out).equals(bytes)).toBe(true)
    expect(progress.at(-1)).toBeLessThanOrEqual(rows)
  })
})
