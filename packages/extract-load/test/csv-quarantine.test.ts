import { randomUUID } from 'node:crypto'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csvValueValidator } from '../src/sources/csv/csv-value-validator.ts'
import { migrateRejectedRows, RejectedRowsWriter } from '../src/sources/csv/rejected-rows.ts'
import { csvTestContext, loadCsv } from './csv-helpers.ts'

const ctx = csvTestContext('csv_quarantine')
/** A second connection for the rejected rows: the load's connection is busy with COPY. */
let audit: pg.Client
beforeAll(async () => {
  audit = new pg.Client({ connectionString: ctx.db.url })
  await audit.connect()
  await migrateRejectedRows(audit)
  await migrateRejectedRows(audit) // idempotent
})
afterAll(async () => {
  await audit?.end()
})

async function rejectedRows(runId: string) {
  return ctx.db.query(`select file, line::int, raw, reason from _elt_audit.rejected_rows where run_id = $1 order by line`, [runId])
}

describe("onError: 'quarantine'", () => {
  it('loads the good rows and records each bad one with file, line, raw text and reason', async () => {
    const file = await ctx.files.write(
      'q.csv',
      'id,amount,name\n' +
        '1,10,Zoë\n' +
        '2,abc,b\n' + // line 3: not an integer (declared)
        '3,30\n' + // line 4: short
        '4,40,d,extra\n' + // line 5: long
        '5,"50",e\n' +
        '6,"",f\n' + // quoted empty = NULL, as on the fast path
        '7,"multi\nline",g\n' + // line 8 (to 9): not an integer
        '8,2147483648,h\n' + // line 10: out of integer range
        '9,90,"tab\there\\back"\n' +
        '10,100,"never closed\n11,110,k\n', // line 12: unterminated to the end
    )
    const runId = randomUUID()
    const rejected = new RejectedRowsWriter(audit, { runId, source: 'csv', targetTable: 'raw.q' }, 2)
    const loaded = await loadCsv(ctx.db, { path: 'q.csv', table: 'q', columns: { amount: 'integer' }, onError: 'quarantine' }, ctx.files.dir, rejected)
    expect(loaded.rows).toBe(4)
    expect(loaded.parsedInNode).toBe(true)
    expect(rejected.count).toBe(6)
    expect(await ctx.db.query(`select id, amount, name from q order by ctid`)).toEqual([
      { id: 1, amount: 10, name: 'Zoë' },
      { id: 5, amount: 50, name: 'e' },
      { id: 6, amount: null, name: 'f' },
      { id: 9, amount: 90, name: 'tab\there\\back' },
    ])
    expect(await rejectedRows(runId)).toEqual([
      { file, line: 3, raw: '2,abc,b', reason: 'column "amount": "abc" is not a valid integer' },
      { file, line: 4, raw: '3,30', reason: 'ragged row: 2 fields, the header has 3' },
      { file, line: 5, raw: '4,40,d,extra', reason: 'ragged row: 4 fields, the header has 3' },
      { file, line: 8, raw: '7,"multi\nline",g', reason: 'column "amount": "multi\\nline" is not a valid integer' },
      { file, line: 10, raw: '8,2147483648,h', reason: 'column "amount": "2147483648" is not a valid integer' },
      { file, line: 12, raw: '10,100,"never closed\n11,110,k', reason: expect.stringMatching(/^malformed: Quote Not Closed/) },
    ])
  })

  it('a clean file loads through the COPY fast path even in quarantine mode, recording nothing', async () => {
    await ctx.files.write('clean.csv', 'id,amount\n1,10\n2,\n3,30\n')
    const runId = randomUUID()
    const rejected = new RejectedRowsWriter(audit, { runId, source: 'csv', targetTable: 'raw.clean' })
    const loaded = await loadCsv(ctx.db, { path: 'clean.csv', table: 'clean', columns: { amount: 'integer' }, onError: 'quarantine' }, ctx.files.dir, rejected)
    expect(loaded).toMatchObject({ rows: 3, parsedInNode: false, widenings: [] })
    expect(await ctx.db.query(`select id, amount from clean order by id`)).toEqual([
      { id: 1, amount: 10 },
      { id: 2, amount: null },
      { id: 3, amount: 30 },
    ])
    expect(await rejectedRows(runId)).toEqual([])
  })

  it('counts lines of a CRLF file with CRLF inside quoted fields as an editor does', async () => {
    const file = await ctx.files.write('crlf.csv', 'id,note\r\n1,"a\r\nb"\r\n2,"c\r\nd\r\ne"\r\n3\r\n4,x,y\r\n5,ok\r\n')
    const runId = randomUUID()
    const rejected = new RejectedRowsWriter(audit, { runId, source: 'csv', targetTable: 'raw.crlf' })
    const loaded = await loadCsv(ctx.db, { path: 'crlf.csv', table: 'crlf', onError: 'quarantine' }, ctx.files.dir, rejected)
    expect(loaded.rows).toBe(3)
    expect(await ctx.db.query(`select id, note from crlf order by id`)).toEqual([
      { id: 1, note: 'a\r\nb' },
      { id: 2, note: 'c\r\nd\r\ne' },
      { id: 5, note: 'ok' },
    ])
    expect(await rejectedRows(runId)).toEqual([
      { file, line: 7, raw: '3', reason: 'ragged row: 1 fields, the header has 2' },
      { file, line: 8, raw: '4,x,y', reason: 'ragged row: 3 fields, the header has 2' },
    ])
  })

  it('an inferred column still widens on a late value (rejections of the first attempt are cleared)', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => `${i + 1},${i === 40 ? '2024-01-01' : i}`)
    await ctx.files.write('qw.csv', `id,v\n${rows.join('\n')}\n51,1,extra\n`)
    const runId = randomUUID()
    const rejected = new RejectedRowsWriter(audit, { runId, source: 'csv', targetTable: 'raw.qw' })
    const loaded = await loadCsv(ctx.db, { path: 'qw.csv', table: 'qw', inferRows: 10, onError: 'quarantine' }, ctx.files.dir, rejected)
    expect(loaded.widenings).toEqual(['column "v": integer → text'])
    expect(loaded.rows).toBe(50)
    expect(await ctx.db.query(`select v from qw where id = 41`)).toEqual([{ v: '2024-01-01' }])
    expect(await rejectedRows(runId)).toEqual([{ file: path.join(ctx.files.dir, 'qw.csv'), line: 52, raw: '51,1,extra', reason: 'ragged row: 3 fields, the header has 2' }])
    expect(rejected.count).toBe(1)
  })

  it('a value PostgreSQL rejects in a column Node does not check (uuid) fails the load naming its file line', async () => {
    const u = '0b7c7a4e-5a43-4bd6-9d0a-2b8f8d3c0e11'
    const file = await ctx.files.write('qu.csv', `id,u,note\n1,${u},a\n2,${u},"x\ny"\n3\n4,not-a-uuid,b\n5,${u},c\n`)
    const rejected = new RejectedRowsWriter(audit, { runId: randomUUID(), source: 'csv', targetTable: 'raw.qu' })
    const error = await loadCsv(ctx.db, { path: 'qu.csv', table: 'qu', columns: { u: 'uuid' }, onError: 'quarantine' }, ctx.files.dir, rejected).catch((e: unknown) => e)
    // COPY counted the 3rd row sent; in the file that is line 6 (header, a two-line record and a rejected row before it)
    expect(error).toMatchObject({ file, line: 6, column: 'u', value: 'not-a-uuid', problem: 'type' })
    expect((error as Error).message).toBe(`${file}, line 6, column "u": "not-a-uuid" is not a valid uuid (invalid input syntax for type uuid: "not-a-uuid").`)
    expect(await ctx.db.query(`select to_regclass('public.qu') as t`)).toEqual([{ t: null }])
  })

  it('validators accept what PostgreSQL accepts for each type, and reject what it rejects', async () => {
    const cases: [string, string[], string[]][] = [
      ['smallint', ['-32768', ' 32767 ', '+5', '007'], ['32768', '1.0', '1e3', 'abc', '']],
      ['bigint', ['-9223372036854775808', '9223372036854775807'], ['9223372036854775808']],
      ['numeric(5,2)', ['123.45', '-0.5', '1e2', 'NaN', '000123.4'], ['1234.5', 'abc', '-NaN', '1.2.3']],
      ['numeric', ['Infinity', '-inf', '.5', '5.', '1E+400'], ['e5', '']],
      ['double precision', ['1e308', '-Infinity', 'nan', '1.5', '0x10', '0x1.8p3'], ['1e309', '1e-400', '0x', '1_000']],
      ['real', ['3.4e38', '1e-45', '0.5'], ['3.5e38', '1e-46']],
      ['boolean', ['t', 'TRUE', 'ye', 'No', 'on', 'off', '1', '0', ' f '], ['o', 'tru e', 'maybe', '2']],
      ['date', ['2024-02-29', 'infinity', '-Infinity'], ['2023-02-29', '2024-13-01', '0000-01-01', '01/02/2024', '2024-01-01 10:00']],
      ['timestamp', ['2024-01-15 10:30:00.1234567', '2024-01-15T10:30', '2024-01-15'], ['2024-01-15 24:30', '2024-01-15 10:61']],
      ['timestamptz', ['2024-01-15 10:30:00Z', '2024-01-15 10:30:00+05:30', '2024-01-15 10:30:00-0300'], ['2024-01-15 10:30 UTC+x']],
      ['varchar(3)', ['abc', 'ção', 'ab   '], ['abcd', 'ab c']],
      ['text', ['anything at all'], ['nul\u0000byte']],
    ]
    const client = new pg.Client({ connectionString: ctx.db.url })
    await client.connect()
    try {
      for (const [type, good, bad] of cases) {
        // PostgreSQL's verdict through a column of the type, as COPY uses its input function (an explicit cast would truncate varchar)
        await client.query(`drop table if exists probe; create temp table probe (v ${type})`)
        const probe = (value: string) => client.query(`insert into probe values ($1)`, [value])
        const validate = csvValueValidator(type)
        expect(validate, type).toBeDefined()
        for (const value of good) {
          expect(validate?.(value), `${type} accepts ${JSON.stringify(value)}`).toBe(true)
          await probe(value) // PostgreSQL agrees
        }
        for (const value of bad.filter((v) => v !== '' && !v.includes('\u0000'))) {
          expect(validate?.(value), `${type} rejects ${JSON.stringify(value)}`).toBe(false)
          if (type === 'date' && value === '01/02/2024') continue // PostgreSQL takes it per DateStyle; ISO only here, on purpose
          if (type === 'date' && value === '2024-01-01 10:00') continue // PostgreSQL drops the time; ISO date only here, on purpose
          await expect(probe(value), `PostgreSQL rejects ${type} ${JSON.stringify(value)}`).rejects.toThrow()
        }
      }
    } finally {
      await client.end()
    }
    expect(csvValueValidator('uuid')).toBeUndefined()
  })
})
