import { execFileSync } from 'node:child_process'
import { open } from 'node:fs/promises'
import path from 'node:path'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { qualifiedName } from '@elt/core'
import { copyCsvFile } from '../src/sources/csv/copy-csv-file.ts'
import { csvTableDdl } from '../src/sources/csv/csv-table-ddl.ts'
import type { CsvColumn, CsvDialect } from '../src/sources/csv/csv-source-options.ts'
import { csvTestContext } from './csv-helpers.ts'

const ctx = csvTestContext('csv_faults')
const columns: CsvColumn[] = [
  { name: 'id', type: 'integer', inferred: false },
  { name: 'name', type: 'text', inferred: false },
]
const dialect: CsvDialect = { delimiter: ',', quote: '"', escape: '"', encoding: 'utf8', detected: { delimiter: false, quote: false, encoding: false } }

/**
 * A named pipe that delivers a header and one row, then stalls (its writer stays open) — a file on
 * a hung network share. `close()` ends it.
 */
async function stalledFile(name: string): Promise<{ file: string; close(): Promise<void> }> {
  const file = path.join(ctx.files.dir, name)
  execFileSync('mkfifo', [file])
  const writer = open(file, 'w') // opens once the reader does
  return {
    file,
    async close() {
      const handle = await writer
      await handle.close()
    },
  }
}

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: ctx.db.url })
  client.on('error', () => {}) // a terminated backend is expected here; the failed query reports it
  await client.connect()
  return client
}

describe('CSV load faults', () => {
  it('an abort while the file stalls ends the COPY at once and leaves the connection usable', async () => {
    const { file, close } = await stalledFile('stalled.csv')
    const client = await connect()
    try {
      const table = qualifiedName('public', 'stalled')
      await client.query('begin')
      await client.query(csvTableDdl(table, columns))
      const abort = new AbortController()
      const copy = copyCsvFile(client, { table, file, columns, dialect, signal: abort.signal })
      const failed = copy.then(() => undefined, (error: unknown) => error) // handled from the start
      const handle = await open(file, 'w').catch(() => undefined) // second writer: feed a row so COPY is mid-stream
      await handle?.write('id,name\n1,a\n')
      setTimeout(() => abort.abort(), 200)
      expect(await failed).toMatchObject({ name: 'AbortError' })
      await handle?.close()
      await client.query('rollback')
      expect((await client.query('select 1 as ok')).rows).toEqual([{ ok: 1 }])
      expect(await ctx.db.query(`select to_regclass('public.stalled') as t`)).toEqual([{ t: null }])
    } finally {
      await close()
      await client.end()
    }
  }, 20_000)

  it('a destination that dies mid-COPY fails the load instead of hanging, and the file is closed', async () => {
    const { file, close } = await stalledFile('dying.csv')
    const client = await connect()
    try {
      const table = qualifiedName('public', 'dying')
      await client.query(csvTableDdl(table, columns))
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid')
      const copy = copyCsvFile(client, { table, file, columns, dialect })
      const failed = copy.then(() => undefined, (error: unknown) => error) // handled from the start
      const handle = await open(file, 'w').catch(() => undefined)
      await handle?.write('id,name\n1,a\n')
      await new Promise((resolve) => setTimeout(resolve, 200))
      await ctx.db.query('select pg_terminate_backend($1)', [rows[0]?.pid])
      // the driver's own error, not a "fix the row" CsvInputError: nothing is wrong with the file
      expect(await failed).toMatchObject({ code: '57P01', message: 'terminating connection due to administrator command' })
      // the file's reader is gone: writing to the pipe now fails with EPIPE (polled: the close is asynchronous)
      let written: unknown
      for (let i = 0; i < 40 && !(written instanceof Error); i++) {
        written = await handle?.write('2,b\n').catch((error: unknown) => error)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      expect(written).toMatchObject({ code: 'EPIPE' })
      await handle?.close()
    } finally {
      await close()
      await client.end().catch(() => {})
    }
  }, 20_000)
})
