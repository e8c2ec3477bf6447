import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { describe, expect, it } from 'vitest'
import { classifyCsvValue } from '../src/sources/csv/classify-csv-value.ts'
import type { CsvColumn, CsvDialect } from '../src/sources/csv/csv-source-options.ts'
import { csvValueKindOfBytes } from '../src/sources/csv/csv-value-kind-of-bytes.ts'
import { guardInferredTypes } from '../src/sources/csv/guard-inferred-types.ts'
import { columnTypes, csvStageContext, csvTestContext, loadCsv, loadQuarantined } from './csv-helpers.ts'

/**
 * PostgreSQL's integer, numeric, float and boolean input functions accept later values that an
 * inferred column's sample would not have typed that way (` 42`, `007`, `1.`, `inf`, `on`, `1`) and
 * store them changed, without an error: only the guard on the fast path makes the column widen.
 * (PG 15 rejects `1_000` and `0x1F` as integers: COPY fails and the column widens without the guard.)
 */
const ctx = csvTestContext('csv_guard')

/** `count` data rows `i,<first>(i),<second>(i)`, the sample of an inference over the first rows. */
const rows = (count: number, cell: (i: number) => string) => Array.from({ length: count }, (_, i) => cell(i + 1)).join('\n') + '\n'

describe('inferred integers, numerics and booleans never lose a later value', () => {
  it('an integer column whose later row is 007 becomes text, 007 kept; -12, 0 and the int range stay integer', async () => {
    const later = '6,007,-12\n7,1234,0\n8,42,2147483647\n9,,-2147483648\n'
    await ctx.files.write('zip.csv', 'id,zip,qty\n' + rows(5, (i) => `${i},${1000 + i},${i * 3}`) + later)
    const loaded = await loadCsv(ctx.db, { path: 'zip.csv', table: 'zip', inferRows: 5 }, ctx.files.dir)
    expect(loaded.widenings).toEqual(['column "zip": integer → text'])
    expect(await columnTypes(ctx.db, 'zip')).toEqual({ id: 'integer', zip: 'text', qty: 'integer' })
    expect(await ctx.db.query(`select id, zip, qty from zip where id >= 5 order by id`)).toEqual([
      { id: 5, zip: '1005', qty: 15 },
      { id: 6, zip: '007', qty: -12 },
      { id: 7, zip: '1234', qty: 0 },
      { id: 8, zip: '42', qty: 2147483647 },
      { id: 9, zip: null, qty: -2147483648 },
    ])
  })

  it('leading and trailing spaces (unquoted and quoted) make an inferred integer text, the spaces kept', async () => {
    await ctx.files.write('spaces.csv', 'id,n\n' + rows(5, (i) => `${i},${i * 7}`) + '6, 42\n7,"42 "\n8,-3\n')
    const loaded = await loadCsv(ctx.db, { path: 'spaces.csv', table: 'spaces', inferRows: 5 }, ctx.files.dir)
    expect(loaded.widenings).toEqual(['column "n": integer → text'])
    expect(await ctx.db.query(`select id, n from spaces where id >= 5 order by id`)).toEqual([
      { id: 5, n: '35' },
      { id: 6, n: ' 42' },
      { id: 7, n: '42 ' },
      { id: 8, n: '-3' },
    ])
  })

  it('booleans sampled true/false with a later on and 1 become text, on and 1 kept', async () => {
    await ctx.files.write('flags.csv', 'id,active,paid\n' + rows(5, (i) => `${i},${i % 2 === 0},${i % 3 === 0}`) + '6,on,false\n7,true,1\n')
    const loaded = await loadCsv(ctx.db, { path: 'flags.csv', table: 'flags', inferRows: 5 }, ctx.files.dir)
    expect(loaded.widenings).toEqual(['column "active": boolean → text', 'column "paid": boolean → text'])
    expect(await ctx.db.query(`select id, active, paid from flags where id >= 5 order by id`)).toEqual([
      { id: 5, active: 'false', paid: 'false' },
      { id: 6, active: 'on', paid: 'false' },
      { id: 7, active: 'true', paid: '1' },
    ])
  })

  it('values typed as the sample types them keep the type (bigints in range, TRUE/f/yes, .5); a numeric 1. becomes text', async () => {
    const sample = rows(4, (i) => `${i},${5_000_000_000 * i},${i % 2 === 0},${i}.25,${i}.5e3`)
    const later = '5,9223372036854775807,TRUE,-0.5,-2e-3\n6,-9223372036854775808,f,12,7\n7,0,yes,.5,0\n8,-12,No,1.,1.5e10\n'
    await ctx.files.write('kept.csv', 'id,big,flag,amount,score\n' + sample + later)
    const loaded = await loadCsv(ctx.db, { path: 'kept.csv', table: 'kept', inferRows: 4 }, ctx.files.dir)
    expect(loaded.widenings).toEqual(['column "amount": numeric → text'])
    expect(await columnTypes(ctx.db, 'kept')).toEqual({ id: 'integer', big: 'bigint', flag: 'boolean', amount: 'text', score: 'double precision' })
    expect(await ctx.db.query(`select id, big::text, flag, amount, score from kept where id >= 5 order by id`)).toEqual([
      { id: 5, big: '9223372036854775807', flag: true, amount: '-0.5', score: -0.002 },
      { id: 6, big: '-9223372036854775808', flag: false, amount: '12', score: 7 },
      { id: 7, big: '0', flag: true, amount: '.5', score: 0 },
      { id: 8, big: '-12', flag: false, amount: '1.', score: 15_000_000_000 },
    ])
  })

  it('a float column with a later inf, a numeric with NaN and a 1 MiB field padded with spaces become text, kept as written', async () => {
    const padded = '3.5' + ' '.repeat(1024 * 1024 + 10)
    await ctx.files.write('special.csv', 'id,score,amount,wide\n' + rows(3, (i) => `${i},${i}e3,${i}.5,${i}.5`) + `4,inf,NaN,"${padded}"\n`)
    const loaded = await loadCsv(ctx.db, { path: 'special.csv', table: 'special', inferRows: 3 }, ctx.files.dir)
    expect(loaded.widenings).toEqual(['column "score": double precision → text', 'column "amount": numeric → text', 'column "wide": numeric → text'])
    expect(await ctx.db.query(`select score, amount, wide = $1 as same from special where id = 4`, [padded])).toEqual([{ score: 'inf', amount: 'NaN', same: true }])
  })

  it("onError: 'quarantine' (Node parses after a bad row): a later 007 still widens the inferred integer", async () => {
    const first = await ctx.files.write('q-1.csv', 'id,code\n1,100\n2,200\n3\n')
    await ctx.files.write('q-2.csv', 'id,code\n4,007\n')
    const { loaded, rejected } = await loadQuarantined(ctx.db, { path: 'q-*.csv', table: 'q', inferRows: 2 }, ctx.files.dir)
    expect(loaded).toMatchObject({ parsedInNode: true, widenings: ['column "code": integer → text'], rows: 3 })
    expect(await ctx.db.query(`select id, code from q order by id`)).toEqual([
      { id: 1, code: '100' },
      { id: 2, code: '200' },
      { id: 4, code: '007' },
    ])
    expect(rejected).toEqual([{ file: first, line: 4, raw: '3' }])
  })

  it("DECLARED integer and boolean columns keep PostgreSQL's semantics (007 is 7, on is true) while an inferred one widens", async () => {
    await ctx.files.write('declared.csv', 'id,n,flag,m\n1,007,on,1\n2, 42,1,007\n')
    const loaded = await loadCsv(ctx.db, { path: 'declared.csv', table: 'declared', inferRows: 1, columns: { n: 'integer', flag: 'boolean' } }, ctx.files.dir)
    expect(loaded.widenings).toEqual(['column "m": integer → text'])
    expect(await ctx.db.query(`select id, n, flag, m from declared order by id`)).toEqual([
      { id: 1, n: 7, flag: true, m: '1' },
      { id: 2, n: 42, flag: true, m: '007' },
    ])
  })
})

describe('the guard on integers and booleans, split anywhere', () => {
  const dialect: CsvDialect = { delimiter: ',', quote: '"', escape: '"', encoding: 'utf8', detected: { delimiter: false, quote: false, encoding: false } }
  const columns: CsvColumn[] = [
    { name: 'note', type: 'text', inferred: true },
    { name: 'n', type: 'integer', inferred: true },
    { name: 'flag', type: 'boolean', inferred: true },
  ]
  /** The file fed one byte per chunk (every state crosses a chunk boundary): what the guard passes on, or its error. */
  const guard = (csv: string) =>
    text(guardInferredTypes(Readable.from([...Buffer.from(csv)].map((b) => Buffer.from([b]))), { file: 'f.csv', columns, dialect })).catch((error: Error) => error.message)

  it('passes quoted, escaped and multi-line fields through; stops on the first quoted or unquoted value the type would change', async () => {
    const good = 'note,n,flag\r\n"a,""007""\r\n on",12,"true"\r\n,"-3",F\r\nx,"0",yes\r\n'
    expect(await guard(good)).toBe(good)
    expect(await guard(good + 'y,"007",t')).toMatch(/^f\.csv, line 6, column "n": "007" is not an integer .* the column becomes text\.$/)
    expect(await guard(good + '"z\n",5,"o""n"\n')).toMatch(/^f\.csv, line 7, column "flag": "o\\"n" is not a boolean/)
    expect(await guard(good + 'w,3000000000,t\n')).toMatch(/^f\.csv, line 6, column "n": "3000000000" .* the column becomes bigint\.$/)
  })

  it('the byte-level fast check never gives a kind classifyCsvValue would not, and covers the plain forms', () => {
    const values = [
      '0', '-0', '+5', '-12', '32767', '-32768', '32768', '2147483647', '-2147483648', '2147483648', '999999999999999', '1000000000000000', '007', '00', ' 42',
      '42 ', '1_000', '0x1F', '-', '+', '1.5', '-.5', '.5', '1.', '.', '01.5', '1.5.5', '1e5', '1.5e-3', '-2E+05', '1.e5', '1e', '1e+', '1e123', '1e1234', '.e5',
      '0e0', 'true', 'TRUE', 'False', 't', 'F', 'yes', 'No', 'on', 'off', 'y', 'n', '1', 'tr', ' true', 'truee', 'NaN', 'inf', '2024-01-15', '20240115',
      '2024-01-15 10:30', '2024-01-15T10:30:00Z', '2024-01-15 10:30:00+16', '01/02/2024', '2024-01-15x',
    ]
    // the bytes around the field (the chunk's other fields, or the guard's reused buffer) must not matter
    const stale = (v: string) => Buffer.concat([Buffer.from('9-'), Buffer.from(v), Buffer.from('0e5:00+02:00')])
    for (const v of values) {
      const fast = csvValueKindOfBytes(stale(v), 2, 2 + Buffer.byteLength(v))
      if (fast !== undefined) expect([v, fast]).toEqual([v, classifyCsvValue(v)])
    }
    expect(values.filter((v) => csvValueKindOfBytes(Buffer.from(v), 0, v.length) === undefined)).toEqual([
      '+5', '1000000000000000', '007', '00', ' 42', '42 ', '1_000', '0x1F', '-', '+', '1.', '.', '01.5', '1.5.5', '1.e5', '1e', '1e+', '1e123', '1e1234', '.e5',
      'on', 'off', 'y', 'n', 'tr', ' true', 'truee', 'NaN', 'inf', '2024-01-15 10:30:00+16', '01/02/2024', '2024-01-15x',
    ])
    // and on 200,000 generated short values
    const alphabet = '0123456789+-.eE tTrRuUfFaAlLsSyYnNoO:Z_x'
    let seed = 42
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0)
    for (let n = 0; n < 200_000; n++) {
      let v = ''
      for (let k = next() % 12; k >= 0; k--) v += alphabet[next() % alphabet.length]
      const fast = csvValueKindOfBytes(Buffer.from(v), 0, v.length)
      if (fast !== undefined && fast !== classifyCsvValue(v)) expect([v, fast]).toEqual([v, classifyCsvValue(v)])
    }
  })
})

describe('a staged CSV day gets the guard on integers and booleans', () => {
  const staged = csvStageContext('csv_guard_stage', 'codes')

  it('extract records the widened types in the manifest; load --date gives the values as written', async () => {
    await staged.write('codes.csv', 'id,code,flag\n1,10,true\n2,20,false\n3,007,on\n')
    const { manifest } = await staged.extract('codes.csv', '2024-06-01')
    expect(manifest.table.columns.map((c) => [c.name, c.type])).toEqual([['id', 'integer'], ['code', 'text'], ['flag', 'text']])
    await staged.load('codes.csv', '2024-06-01', 3)
    expect(await staged.destination.query(`select id, code, flag from raw.codes order by id`)).toEqual([
      { id: 1, code: '10', flag: 'true' },
      { id: 2, code: '20', flag: 'false' },
      { id: 3, code: '007', flag: 'on' },
    ])
  })

  it('a file with CR line ends and quoted CR LF: the staged row count is the rows PostgreSQL loads', async () => {
    await staged.write('cr.csv', 'id,code,flag\r1,10,true\r2,"2\r\n0",false\r3,30,t')
    const { manifest } = await staged.extract('cr.csv', '2024-06-02')
    expect([manifest.rows, manifest.table.columns.map((c) => c.type)]).toEqual([3, ['integer', 'text', 'boolean']])
    await staged.load('cr.csv', '2024-06-02', 3)
    expect(await staged.destination.query(`select id, code, flag from raw.codes order by id`)).toEqual([
      { id: 1, code: '10', flag: true },
      { id: 2, code: '2\r\n0', flag: false },
      { id: 3, code: '30', flag: true },
    ])
  })
})
