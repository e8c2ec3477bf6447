import { rename, truncate } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { CsvInputError } from '../src/sources/csv/csv-input-error.ts'
import { GuardEndOfData } from '../src/sources/csv/guard-end-of-data.ts'
import { csvTestContext, loadCsv } from './csv-helpers.ts'

const ctx = csvTestContext('csv_errors')

/** The load's error, checked to be a CsvInputError; the table must not exist afterwards (nothing half-loaded). */
async function failure(name: string, content: string, options: { columns?: Record<string, string>; path?: string } = {}): Promise<CsvInputError> {
  if (content !== '') await ctx.files.write(name, content)
  const table = name.replace(/\W/g, '_')
  const error = await loadCsv(ctx.db, { path: options.path ?? name, table, ...(options.columns ? { columns: options.columns } : {}) }, ctx.files.dir).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(CsvInputError)
  expect(await ctx.db.query(`select to_regclass($1) as t`, [`public.${table}`])).toEqual([{ t: null }])
  return error as CsvInputError
}

describe('CSV bad input names file, line and column', () => {
  it('an unterminated quote: the line where the field opens', async () => {
    const error = await failure('quote.csv', 'id,name,n\n1,a,1\n2,"never closed,5\n3,c,7\n4,d,8\n')
    expect(error).toMatchObject({ file: path.join(ctx.files.dir, 'quote.csv'), line: 3, problem: 'quote', exitCode: 1 })
    expect(error.message).toBe(`${path.join(ctx.files.dir, 'quote.csv')}: a quoted field opened on line 3 is never closed (it runs to the end of the file).`)
    expect(error.hint).toMatch(/Close the quote/)
  })

  it('a truncated gzip file is named, with what to do', async () => {
    const whole = gzipSync(Buffer.from(`id,name\n${Array.from({ length: 2000 }, (_, i) => `${i},name ${i}`).join('\n')}\n`))
    await ctx.files.write('cut.csv', whole) // written as is: a gzip stream under a .gz name below
    await rename(path.join(ctx.files.dir, 'cut.csv'), path.join(ctx.files.dir, 'cut.csv.gz'))
    await truncate(path.join(ctx.files.dir, 'cut.csv.gz'), Math.floor(whole.length / 2))
    const error = await failure('cut', '', { path: 'cut.csv.gz' })
    expect(error).toMatchObject({ file: path.join(ctx.files.dir, 'cut.csv.gz'), problem: 'file' })
    expect(error.message).toMatch(/cut\.csv\.gz: not a complete gzip file \(unexpected end of file\)\.$/)
  })

  it('a ragged short row', async () => {
    const error = await failure('short.csv', 'id,name,n\n1,a,1\n2,b\n3,c,3\n')
    expect(error).toMatchObject({ line: 3, column: 'n', problem: 'ragged' })
    expect(error.message).toMatch(/short\.csv, line 3: ragged row — it has fewer fields than the header's 3 \(no value for column "n"\): "2,b"\.$/)
    expect(error.hint).toMatch(/delimiter ","/)
  })

  it('a ragged long row', async () => {
    const error = await failure('long.csv', 'id,name,n\n1,a,1\n2,b,2\n3,c,3,extra\n')
    expect(error).toMatchObject({ line: 4, problem: 'ragged', column: undefined })
    expect(error.message).toMatch(/long\.csv, line 4: ragged row — it has more fields than the header's 3: "3,c,3,extra"\.$/)
  })

  it('a value that does not fit a declared type fails the load, never widened', async () => {
    const error = await failure('declared.csv', 'id,amount\n1,10\n2,abc\n', { columns: { amount: 'integer' } })
    expect(error).toMatchObject({ line: 3, column: 'amount', value: 'abc', problem: 'type' })
    expect(error.message).toMatch(/declared\.csv, line 3, column "amount": "abc" is not a valid integer \(invalid input syntax for type integer: "abc"\)\.$/)
    expect(error.hint).toMatch(/^Fix the value in the file, declare a type that holds it .* onError: 'quarantine'/)
  })

  it('the line of a value after a quoted field with newlines is its physical line', async () => {
    const error = await failure('multiline.csv', 'id,note,amount\n1,"a\nb\nc",1\n2,"d\ne",oops\n', { columns: { amount: 'integer' } })
    expect(error).toMatchObject({ line: 6, column: 'amount', value: 'oops' })
  })

  it('an inferred column that meets a late value it cannot hold is widened and the file loaded', async () => {
    const rows = Array.from({ length: 10_500 }, (_, i) => `${i + 1},${i === 10_400 ? '1.5' : i % 100}`)
    await ctx.files.write('late.csv', `id,amount\n${rows.join('\n')}\n`)
    const loaded = await loadCsv(ctx.db, { path: 'late.csv', table: 'late' }, ctx.files.dir)
    expect(loaded.widenings).toEqual(['column "amount": integer → numeric'])
    expect(loaded.columns.find((c) => c.name === 'amount')).toEqual({ name: 'amount', type: 'numeric', inferred: true })
    expect(await ctx.db.query(`select count(*)::int as n, sum(amount)::text as total, max(amount) filter (where id = 10401) as late from late`)).toEqual([
      { n: 10_500, total: String(rows.reduce((sum, r) => sum + Number(r.split(',')[1]), 0)), late: '1.5' },
    ])
  })

  it("a glob file whose header differs is named, and errors in a later file name that file's own line", async () => {
    await ctx.files.write('g-1.csv', 'id,name\n1,a\n')
    await ctx.files.write('g-2.csv', 'id,label\n2,b\n')
    const header = await failure('g', '', { path: 'g-*.csv' })
    expect(header).toMatchObject({ file: path.join(ctx.files.dir, 'g-2.csv'), problem: 'header' })
    expect(header.message).toMatch(/g-2\.csv: its header does not match the table's columns \(column name mismatch in header line field 2: got "label", expected "name"\)/)

    await ctx.files.write('h-1.csv', 'id,name\n1,a\n2,b\n3,c\n')
    await ctx.files.write('h-2.csv', 'id,name\n4,d\nfive,e\n')
    const value = await failure('h', '', { path: 'h-*.csv', columns: { id: 'integer' } })
    expect(value).toMatchObject({ file: path.join(ctx.files.dir, 'h-2.csv'), line: 3, column: 'id' })
  })

  it('a line that is \\. alone (COPY would end the data there and drop the rest) fails naming its line', async () => {
    const error = await failure('eod.csv', 'id,name\n1,a\n\\.\n2,b\n3,"\\."\n')
    expect(error).toMatchObject({ line: 3, problem: 'end-of-data' })
    expect(error.message).toMatch(/eod\.csv, line 3: the line is \\\. alone, which PostgreSQL's COPY reads as the end of the data/)
    // quoted, or not alone on its line, it is a value
    await ctx.files.write('eod-ok.csv', 'id,name\n1,"\\."\n2,\\.x\n3,a\\.\n')
    await loadCsv(ctx.db, { path: 'eod-ok.csv', table: 'eod_ok' }, ctx.files.dir)
    expect(await ctx.db.query(`select id, name from eod_ok order by id`)).toEqual([
      { id: 1, name: '\\.' },
      { id: 2, name: '\\.x' },
      { id: 3, name: 'a\\.' },
    ])
  })

  it('the \\. guard finds the line wherever the chunks split, and only a whole line', async () => {
    const offsetIn = async (text: string, size: number) => {
      const bytes = Buffer.from(text)
      const chunks = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size))
      let passed = 0
      try {
        await pipeline(Readable.from(chunks), new GuardEndOfData((offset) => Object.assign(new Error('marker'), { offset })), async (source: AsyncIterable<Buffer>) => {
          for await (const chunk of source) passed += chunk.length
        })
        return { passed }
      } catch (error) {
        return { offset: (error as { offset: number }).offset }
      }
    }
    for (let size = 1; size <= 12; size++) {
      expect(await offsetIn('id\n1\n\\.\n2\n', size), `chunks of ${size}`).toEqual({ offset: 5 })
      expect(await offsetIn('id\n1\n\\.\r\n2\n', size), `CRLF, chunks of ${size}`).toEqual({ offset: 5 })
      expect(await offsetIn('id\n1\n\\.', size), `at the end, chunks of ${size}`).toEqual({ offset: 5 })
      expect(await offsetIn('\\.\nid\n', size), `first line, chunks of ${size}`).toEqual({ offset: 0 })
      expect(await offsetIn('id\n\\.x\n1\\.\n"\\.",\\.\\.\n', size), `no marker, chunks of ${size}`).toEqual({ passed: 21 })
    }
  })
})

