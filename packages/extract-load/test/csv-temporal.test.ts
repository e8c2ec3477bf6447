import { writeFile } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { describe, expect, it } from 'vitest'
import { classifyCsvValue } from '../src/sources/csv/classify-csv-value.ts'
import { guardInferredTypes } from '../src/sources/csv/guard-inferred-types.ts'
import { csvValueKindOfBytes } from '../src/sources/csv/csv-value-kind-of-bytes.ts'
import type { CsvColumn, CsvDialect } from '../src/sources/csv/csv-source-options.ts'
import { columnTypes, csvStageContext, csvTestContext, loadCsv, loadQuarantined } from './csv-helpers.ts'

/**
 * PostgreSQL's date and timestamp input functions accept a later value that an inferred column's
 * sample did not have — and change it silently (a time dropped, an offset ignored). COPY does not
 * fail, so only the guard on the fast path makes the column widen.
 */
const ctx = csvTestContext('csv_temporal')

/** `count` data rows `id,day,note`, the notes with quoted commas, quotes and newlines. */
function datedRows(count: number, start = 1): string {
  const rows: string[] = []
  for (let i = start; i < start + count; i++) {
    const day = `2023-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`
    rows.push(i % 3 === 0 ? `${i},"${day}","a, ""quoted""\nnote 2024-01-01 10:00"` : `${i},${day},plain`)
  }
  return rows.join('\n') + '\n'
}

describe('inferred dates and timestamps never lose a later value', () => {
  it('a date column whose row 10,002 has a time becomes timestamp, the time kept', async () => {
    await ctx.files.write('dates.csv', 'id,day,note\n' + datedRows(10_001) + '10002,"2024-01-01 10:00",last\n10003,2024-02-02,\n')
    const loaded = await loadCsv(ctx.db, { path: 'dates.csv', table: 'dates' }, ctx.files.dir)
    expect(loaded.widenings).toEqual(['column "day": date → timestamp'])
    expect((await columnTypes(ctx.db, 'dates')).day).toBe('timestamp without time zone')
    expect(await ctx.db.query(`select id, day::text, note from dates where id in (3, 10002, 10003) order by id`)).toEqual([
      { id: 3, day: '2023-04-04 00:00:00', note: 'a, "quoted"\nnote 2024-01-01 10:00' },
      { id: 10002, day: '2024-01-01 10:00:00', note: 'last' },
      { id: 10003, day: '2024-02-02 00:00:00', note: null },
    ])
    expect(loaded.rows).toBe(10_003)
  })

  it('a timestamp column with a later offset becomes timestamptz holding the right instant', async () => {
    const rows = Array.from({ length: 10_001 }, (_, i) => `${i + 1},2024-01-01 0${i % 10}:00:00`).join('\n')
    await ctx.files.write('stamps.csv', 'id,at\n' + rows + '\n10002,2024-01-01 10:00:00+02\n')
    const loaded = await loadCsv(ctx.db, { path: 'stamps.csv', table: 'stamps' }, ctx.files.dir)
    expect(loaded.widenings).toEqual(['column "at": timestamp → timestamptz'])
    expect((await columnTypes(ctx.db, 'stamps')).at).toBe('timestamp with time zone')
    // the session's time zone reads the rows without an offset (UTC in tests); the offset row is 08:00 UTC
    expect(await ctx.db.query(`select id, (at at time zone 'UTC')::text as utc from stamps where id in (1, 10002) order by id`)).toEqual([
      { id: 1, utc: '2024-01-01 00:00:00' },
      { id: 10002, utc: '2024-01-01 08:00:00' },
    ])
  })

  it('the later value in the second file of a glob, a Latin-1 file with ; and a quoted field spanning lines', async () => {
    const head = 'código;dia;descrição\n'
    await ctx.files.write('glob-1.csv', Buffer.from(head + Array.from({ length: 50 }, (_, i) => `${i};2024-03-${String((i % 28) + 1).padStart(2, '0')};São Paulo`).join('\n') + '\n', 'latin1'))
    await ctx.files.write('glob-2.csv', Buffer.from(head + '100;2024-04-01;"Açaí;\npão"\n101;"2024-04-02T23:59:30";ação\n', 'latin1'))
    const loaded = await loadCsv(ctx.db, { path: 'glob-*.csv', table: 'glob', inferRows: 10 }, ctx.files.dir)
    expect(loaded.widenings).toEqual(['column "dia": date → timestamp'])
    expect(await ctx.db.query(`select "código" as id, dia::text, "descrição" as d from glob where "código" >= 100 order by 1`)).toEqual([
      { id: 100, dia: '2024-04-01 00:00:00', d: 'Açaí;\npão' },
      { id: 101, dia: '2024-04-02 23:59:30', d: 'ação' },
    ])
  })

  it('a value PostgreSQL would read by DateStyle (01/02/2024) makes an inferred date column text, not a guess', async () => {
    await ctx.files.write('style.csv', 'day\n2024-01-01\n2024-01-02\n01/02/2024\n')
    const loaded = await loadCsv(ctx.db, { path: 'style.csv', table: 'style', inferRows: 2 }, ctx.files.dir)
    expect(loaded.widenings).toEqual(['column "day": date → text'])
    expect(await ctx.db.query(`select day from style order by ctid`)).toEqual([{ day: '2024-01-01' }, { day: '2024-01-02' }, { day: '01/02/2024' }])
  })

  it("onError: 'quarantine' (Node parses after a bad row): a later offset still widens the inferred timestamp", async () => {
    // the ragged row of the first file switches every file to Node's parser before the guard sees the second file
    const first = await ctx.files.write('q-1.csv', 'id,at\n1,2024-01-01 10:00:00\n2,2024-01-01 11:00:00\n3\n')
    await ctx.files.write('q-2.csv', 'id,at\n4,2024-01-01 10:00:00+02\n')
    const { loaded, rejected } = await loadQuarantined(ctx.db, { path: 'q-*.csv', table: 'q', inferRows: 2 }, ctx.files.dir)
    expect(loaded).toMatchObject({ parsedInNode: true, widenings: ['column "at": timestamp → timestamptz'], rows: 3 })
    expect(await ctx.db.query(`select id, (at at time zone 'UTC')::text as utc from q order by id`)).toEqual([
      { id: 1, utc: '2024-01-01 10:00:00' },
      { id: 2, utc: '2024-01-01 11:00:00' },
      { id: 4, utc: '2024-01-01 08:00:00' },
    ])
    expect(rejected).toEqual([{ file: first, line: 4, raw: '3' }])
  })

  it("a DECLARED date column keeps PostgreSQL's semantics: a time is dropped, as a declared date does", async () => {
    await ctx.files.write('declared.csv', 'id,day\n1,2024-01-01\n2,2024-01-01 10:00\n')
    const loaded = await loadCsv(ctx.db, { path: 'declared.csv', table: 'declared', columns: { day: 'date' } }, ctx.files.dir)
    expect(loaded.widenings).toEqual([])
    expect(await ctx.db.query(`select id, day::text from declared order by id`)).toEqual([
      { id: 1, day: '2024-01-01' },
      { id: 2, day: '2024-01-01' },
    ])
  })
})

describe('the guard parses CSV as PostgreSQL does', () => {
  const dialect: CsvDialect = { delimiter: ',', quote: '"', escape: '"', encoding: 'utf8', detected: { delimiter: false, quote: false, encoding: false } }
  const columns: CsvColumn[] = [
    { name: 'note', type: 'text', inferred: true },
    { name: 'day', type: 'date', inferred: true },
  ]
  /** The file fed one byte per chunk (every state crosses a chunk boundary): what the guard passes on, or its error. */
  const guard = (csv: string, d: CsvDialect = dialect) =>
    text(guardInferredTypes(Readable.from(Buffer.from(csv).reduce<Buffer[]>((all, b) => [...all, Buffer.from([b])], [])), { file: 'f.csv', columns, dialect: d })).catch(
      (error: Error) => error.message,
    )

  it('passes the bytes through when every value fits, whatever is quoted, escaped or split', async () => {
    const csv = 'note,day\r\n"a,""b""\r\n2024-01-01 10:00",2024-01-01\r\n,"2024-01-02"\r\n"x",\r\nlast,2024-01-03'
    expect(await guard(csv)).toBe(csv)
    const backslash = { ...dialect, escape: '\\' }
    expect(await guard('note,day\n"a\\"2024-01-01 10:00,\\\\",2024-01-04\n', backslash)).toBe('note,day\n"a\\"2024-01-01 10:00,\\\\",2024-01-04\n')
  })

  it("the guard's byte-level fast check never gives a kind classifyCsvValue would not", () => {
    const values = [
      '2024-01-15', '2024-02-29', '2023-02-29', '0000-01-01', '2024-13-01', '2024-1-15', '2024-01-15 10:30', '2024-01-15T10:30:00', '2024-01-15 24:00',
      '2024-01-15 10:60', '2024-01-15 10:30:60', '2024-01-15 10:30:00.123456', '2024-01-15 10:30:00.1234567', '2024-01-15 10:30:00.', '2024-01-15 10:30:00Z',
      '2024-01-15 10:30+02', '2024-01-15 10:30:00+02:00', '2024-01-15 10:30:00-0330', '2024-01-15 10:30:00+16', '2024-01-15 10:30:00+02:60', '2024-01-15 10:30:00+2',
      '2024-01-15 10:30:00+02:0', '2024-01-15x', '2024-01-15 ', ' 2024-01-15', '2024-01-15 10:3', '2024-01-15Z', '20240115', '01/02/2024',
    ]
    // the bytes around the field (the chunk's other fields, or the guard's reused buffer) must not matter
    const stale = (v: string) => Buffer.concat([Buffer.from('9-'), Buffer.from(v), Buffer.from(':00+02:00')])
    for (const v of values) {
      const fast = csvValueKindOfBytes(stale(v), 2, 2 + Buffer.byteLength(v))
      if (fast !== undefined) expect([v, fast]).toEqual([v, classifyCsvValue(v)])
    }
    const temporal = new Set(['date', 'timestamp', 'timestamptz'])
    expect(values.filter((v) => temporal.has(csvValueKindOfBytes(Buffer.from(v), 0, v.length) ?? ''))).toEqual([
      '2024-01-15', '2024-02-29', '2024-01-15 10:30', '2024-01-15T10:30:00', '2024-01-15 10:30:00.123456', '2024-01-15 10:30:00Z',
      '2024-01-15 10:30+02', '2024-01-15 10:30:00+02:00', '2024-01-15 10:30:00-0330',
    ])
  })

  it('names file, line and column of the first value the inferred type would change', async () => {
    expect(await guard('note,day\n"two\nlines",2024-01-01\nx,"2024-01-01 10:00"\n')).toMatch(/^f\.csv, line 4, column "day": "2024-01-01 10:00" is not a date/)
    expect(await guard('note,day\nx,2024-01-01\ny,2024-01-02T00:00:00Z')).toMatch(/^f\.csv, line 3, column "day": "2024-01-02T00:00:00Z"/)
    expect(await guard('note,day\nx,2024-01-01\ny,"2024-01-02 10:00"')).toMatch(/^f\.csv, line 3, column "day": "2024-01-02 10:00"/)
  })
})

describe('a staged CSV day gets the same guard', () => {
  const staged = csvStageContext('csv_temporal_stage', 'visits')

  it('extract and load --date widen an inferred date column whose later row has a time', async () => {
    await staged.write('visits.csv', 'id,day\n1,2024-01-01\n2,2024-01-02\n3,2024-01-03 10:00\n')
    const { manifest, manifestPath } = await staged.extract('visits.csv', '2024-06-01')
    // extract widened the column (the guard failed the first attempt) and recorded the type it loads with
    expect(manifest.table.columns.map((c) => [c.name, c.type])).toEqual([['id', 'integer'], ['day', 'timestamp']])
    await loadVisits()
    // a day staged before extract widened (its manifest says date): the load's guard widens it
    manifest.table.columns[1]!.type = 'date'
    await writeFile(manifestPath, JSON.stringify(manifest))
    await staged.destination.query('drop table raw.visits')
    await loadVisits()
  })

  async function loadVisits(): Promise<void> {
    await staged.load('visits.csv', '2024-06-01', 3)
    expect(await staged.destination.query(`select id, day::text from raw.visits order by id`)).toEqual([
      { id: 1, day: '2024-01-01 00:00:00' },
      { id: 2, day: '2024-01-02 00:00:00' },
      { id: 3, day: '2024-01-03 10:00:00' },
    ])
  }
})
