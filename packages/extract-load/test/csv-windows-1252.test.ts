import { text } from 'node:stream/consumers'
import { describe, expect, it } from 'vitest'
import type { CsvInputError } from '../src/sources/csv/csv-input-error.ts'
import { describeCsvSource } from '../src/sources/csv/describe-csv-source.ts'
import { dialectSampleBytes } from '../src/sources/csv/detect-csv-dialect.ts'
import { detectCsvEncoding } from '../src/sources/csv/detect-csv-encoding.ts'
import { guardLatin1Controls } from '../src/sources/csv/guard-latin1-controls.ts'
import { openCsvFile } from '../src/sources/csv/open-csv-file.ts'
import { csvStageContext, csvTestContext, loadCsv, loadQuarantined } from './csv-helpers.ts'

/**
 * Windows-1252 (Excel and Windows exports) and Latin-1 read bytes 0x80–0x9F differently: `€` `‘`
 * `’` `“` `”` `–` `—` `Š` `Œ` … there, invisible C1 control characters in Latin-1. Every other byte
 * reads the same in both.
 */
const ctx = csvTestContext('csv_w1252')

/** A file's bytes: strings as Latin-1 (one byte per character, so `ç` is 0xE7), numbers as raw bytes. */
function bytes(...parts: (string | number)[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from([p]))))
}

/** Windows-1252 bytes of the characters the tests use. */
const cp = { euro: 0x80, ellipsis: 0x85, sCaron: 0x8a, oe: 0x8c, lsquo: 0x91, rsquo: 0x92, ldquo: 0x93, rdquo: 0x94, ndash: 0x96, mdash: 0x97 }

/** `count` plain ASCII rows `i,plain row i` from `from` on: bytes the encoding sample sees as ASCII. */
const asciiRows = (from: number, count: number) => Array.from({ length: count }, (_, i) => `${from + i},plain row ${from + i}\n`).join('')

describe('Windows-1252 CSV files', () => {
  it('detects a Windows-1252 export from the € and curly quotes of its first bytes and loads them as they read', async () => {
    await ctx.files.write(
      'excel.csv',
      bytes('id;produto;nota\n', '1;Preço ', cp.euro, '5;', cp.ldquo, 'ótimo', cp.rdquo, ' ', cp.ndash, ' disse\n', '2;', cp.sCaron, 'árka;', cp.lsquo, 'ok', cp.rsquo, ' ', cp.mdash, ' ', cp.oe, 'uvre', cp.ellipsis, '\n'),
    )
    const description = await describeCsvSource({ path: 'excel.csv', table: 'excel' }, { cwd: ctx.files.dir })
    expect(description.dialect).toMatchObject({ encoding: 'windows-1252', delimiter: ';' })
    const loaded = await loadCsv(ctx.db, { path: 'excel.csv', table: 'excel' }, ctx.files.dir)
    expect(loaded.widenings).toEqual([])
    expect(await ctx.db.query(`select id, produto, nota from excel order by id`)).toEqual([
      { id: 1, produto: 'Preço €5', nota: '“ótimo” – disse' },
      { id: 2, produto: 'Šárka', nota: '‘ok’ — Œuvre…' },
    ])
  })

  it(`a 0x80 past the ${dialectSampleBytes / 1024} KiB sample of a Latin-1 file stops the COPY there and the file reloads as Windows-1252`, async () => {
    const ascii = asciiRows(2, 12_000) // ~230 KB
    expect(ascii.length).toBeGreaterThan(3 * dialectSampleBytes)
    await ctx.files.write('late-euro.csv', bytes('id,name\n1,São Paulo\n', ascii, '20000,Preço ', cp.euro, '5 ', cp.ldquo, 'à vista', cp.rdquo, '\n'))
    expect(detectCsvEncoding(bytes('id,name\n1,São Paulo\n', ascii).subarray(0, dialectSampleBytes))).toBe('latin1')
    const loaded = await loadCsv(ctx.db, { path: 'late-euro.csv', table: 'late_euro' }, ctx.files.dir)
    expect(loaded.widenings).toEqual(['encoding: Latin-1 → Windows-1252'])
    expect(await ctx.db.query(`select count(*)::int as n, max(name) filter (where id = 1) as first, max(name) filter (where id = 20000) as last from late_euro`)).toEqual([
      { n: 12_002, first: 'São Paulo', last: 'Preço €5 “à vista”' },
    ])
  })

  it('a file that is plain ASCII at the start and has a Windows-1252 byte later: UTF-8 → Windows-1252 in one reload', async () => {
    await ctx.files.write('late-quote.csv', bytes('id,name\n', asciiRows(1, 12_000), '20000,', cp.lsquo, 'Conceição', cp.rsquo, '\n'))
    const loaded = await loadCsv(ctx.db, { path: 'late-quote.csv', table: 'late_quote' }, ctx.files.dir)
    expect(loaded.widenings).toEqual(['encoding: UTF-8 → Windows-1252'])
    expect(await ctx.db.query(`select count(*)::int as n, max(name) filter (where id = 20000) as last from late_quote`)).toEqual([{ n: 12_001, last: '‘Conceição’' }])
  })

  it('a byte Windows-1252 does not define (0x81), which PostgreSQL cannot convert, after a switch to Windows-1252: the file is decoded in Node, the € and the 0x81 both kept', async () => {
    // PostgreSQL's WIN1252 conversion rejects 0x81, 0x8D, 0x8F, 0x90, 0x9D; Node decodes them as U+0081 … (WHATWG's windows-1252) and COPY gets UTF-8
    await ctx.files.write('stray.csv', bytes('id,name\n1,São\n', asciiRows(2, 12_000), '20000,a', cp.euro, 'b\n', asciiRows(20_001, 100), '30000,c', 0x81, 'd\n'))
    const loaded = await loadCsv(ctx.db, { path: 'stray.csv', table: 'stray' }, ctx.files.dir)
    expect(loaded.widenings).toEqual(['encoding: Latin-1 → Windows-1252', 'encoding: Windows-1252 → Windows-1252 decoded in Node'])
    expect(await ctx.db.query(`select id, name, encode(convert_to(name, 'UTF8'), 'hex') as utf8 from stray where id in (1, 20000, 30000) order by id`)).toEqual([
      { id: 1, name: 'São', utf8: '53c3a36f' },
      { id: 20000, name: 'a€b', utf8: '61e282ac62' },
      { id: 30000, name: 'c\u0081d', utf8: '63c28164' },
    ])
    expect(await ctx.db.query<{ n: number }>('select count(*)::int as n from stray')).toEqual([{ n: 12_103 }])
  })

  it('a byte Windows-1252 does not define (0x8D) before a late € in a Latin-1 file: one reload, decoded in Node', async () => {
    await ctx.files.write('undefined-first.csv', bytes('id,name\n1,São\n', asciiRows(2, 12_000), '20000,a', 0x8d, 'b\n', asciiRows(20_001, 100), '30000,c', cp.euro, 'd\n'))
    const loaded = await loadCsv(ctx.db, { path: 'undefined-first.csv', table: 'undefined_first' }, ctx.files.dir)
    expect(loaded.widenings).toEqual(['encoding: Latin-1 → Windows-1252 decoded in Node'])
    expect(await ctx.db.query(`select id, name from undefined_first where id in (1, 20000, 30000) order by id`)).toEqual([
      { id: 1, name: 'São' },
      { id: 20000, name: 'a\u008db' },
      { id: 30000, name: 'c€d' },
    ])
  })

  it('a start with “ and a byte Windows-1252 does not define (0x9D) is decoded in Node from the first byte: no reload, “ read as “', async () => {
    await ctx.files.write('kept.csv', bytes('id,name\n1,', cp.ldquo, 'S', 0xe3, 'o', 0x9d, '\n', asciiRows(2, 12_000), '20000,', cp.ldquo, '\n'))
    const loaded = await loadCsv(ctx.db, { path: 'kept.csv', table: 'kept' }, ctx.files.dir)
    expect(loaded.widenings).toEqual([])
    expect(await ctx.db.query(`select id, name from kept where id in (1, 20000) order by id`)).toEqual([
      { id: 1, name: '“São\u009d' },
      { id: 20000, name: '“' },
    ])
  })

  it('files of a glob asking for different encodings end (never switch back and forth): a UTF-8 file with a late bad byte fails naming it', async () => {
    await ctx.files.write('ladder-1.csv', bytes('id,name\n1,São\n', asciiRows(2, 12_000), '20000,a', 0x81, '\n'))
    await ctx.files.write('ladder-2.csv', Buffer.concat([Buffer.from('id,name\n30000,Zoë\n'), bytes(asciiRows(30_001, 12_000), '50000,', cp.ldquo, '\n')]))
    const error = await loadCsv(ctx.db, { path: 'ladder-*.csv', table: 'ladder' }, ctx.files.dir).then(
      () => undefined,
      (e: unknown) => e as CsvInputError,
    )
    expect(error).toMatchObject({ name: 'CsvInputError', problem: 'encoding', line: 12_003 })
    expect(error?.message).toMatch(/ladder-2\.csv, line 12003: not valid UTF-8/)
  })

  it('a glob of a Latin-1, a Windows-1252 and a UTF-8 export: each file read as its own, the Latin-1 one stays Latin-1', async () => {
    await ctx.files.write('glob-1.csv', bytes('id,city\n1,São Paulo\n2,Belém\n'))
    await ctx.files.write('glob-2.csv', bytes('id,city\n3,', cp.ldquo, 'Curitiba', cp.rdquo, ' ', cp.euro, '\n'))
    await ctx.files.write('glob-3.csv', 'id,city\n4,Florianópolis €\n')
    expect(await describeCsvSource({ path: 'glob-1.csv', table: 'g' }, { cwd: ctx.files.dir })).toMatchObject({ dialect: { encoding: 'latin1' } })
    const loaded = await loadCsv(ctx.db, { path: 'glob-*.csv', table: 'glob' }, ctx.files.dir)
    expect(loaded.widenings).toEqual([])
    expect(await ctx.db.query(`select id, city from glob order by id`)).toEqual([
      { id: 1, city: 'São Paulo' },
      { id: 2, city: 'Belém' },
      { id: 3, city: '“Curitiba” €' },
      { id: 4, city: 'Florianópolis €' },
    ])
  })

  it("encoding: 'latin1' in config is kept: 0x80–0x9F load as control characters, early or late, no reload; 'windows-1252' reads them", async () => {
    const file = bytes('id,name\n1,', cp.euro, '5\n', asciiRows(2, 12_000), '20000,', cp.ldquo, 'x', cp.rdquo, '\n')
    await ctx.files.write('declared.csv', file)
    const latin1 = await loadCsv(ctx.db, { path: 'declared.csv', table: 'declared_latin1', encoding: 'latin1' }, ctx.files.dir)
    const windows = await loadCsv(ctx.db, { path: 'declared.csv', table: 'declared_windows', encoding: 'windows-1252' }, ctx.files.dir)
    const detected = await loadCsv(ctx.db, { path: 'declared.csv', table: 'declared_detected' }, ctx.files.dir)
    expect([latin1.widenings, windows.widenings, detected.widenings]).toEqual([[], [], []])
    const names = (table: string) => ctx.db.query(`select id, name from ${table} where id in (1, 20000) order by id`)
    expect(await names('declared_latin1')).toEqual([
      { id: 1, name: '\u00805' },
      { id: 20000, name: '\u0093x\u0094' },
    ])
    const asWindows = [
      { id: 1, name: '€5' },
      { id: 20000, name: '“x”' },
    ]
    expect(await names('declared_windows')).toEqual(asWindows)
    expect(await names('declared_detected')).toEqual(asWindows)
  })

  it("encoding: 'windows-1252' in config with a byte it does not define fails naming file and line (nothing switched)", async () => {
    await ctx.files.write('undefined.csv', bytes('id,name\n1,', cp.euro, '\n2,a', 0x8d, 'b\n'))
    const error = await loadCsv(ctx.db, { path: 'undefined.csv', table: 'undefined_byte', encoding: 'windows-1252' }, ctx.files.dir).then(
      () => undefined,
      (e: unknown) => e as CsvInputError,
    )
    expect(error).toMatchObject({ name: 'CsvInputError', problem: 'encoding', line: 3 })
    expect(error?.message).toMatch(/undefined\.csv, line 3: a byte Windows-1252 does not define .*0x8d/)
    expect(error?.hint).toContain("encoding: 'latin1'")
  })

  it('onError quarantine parses a Windows-1252 file in Node with the same characters, good rows and rejected ones', async () => {
    await ctx.files.write('q.csv', bytes('id,name\n1,', cp.euro, '1\n2,', cp.ldquo, 'b', cp.rdquo, ',extra\n3,', cp.sCaron, '\n'))
    const { loaded, rejected } = await loadQuarantined(ctx.db, { path: 'q.csv', table: 'q_w1252' }, ctx.files.dir)
    expect(loaded.parsedInNode).toBe(true)
    expect(await ctx.db.query(`select id, name from q_w1252 order by id`)).toEqual([
      { id: 1, name: '€1' },
      { id: 3, name: 'Š' },
    ])
    expect(rejected.map((r) => [r.line, r.raw])).toEqual([[3, '2,“b”,extra']])
  })

  it('onError quarantine: a file sent to Node before its late 0x80 was read still reloads as Windows-1252 there', async () => {
    // the \\. line stops the fast path upstream of the Latin-1 guard, so Node parses the file as Latin-1 first
    await ctx.files.write('q-late.csv', bytes('id,name\n1,São\n\\.\n', asciiRows(3, 12_000), '20000,', cp.euro, '7\n'))
    const { loaded, rejected } = await loadQuarantined(ctx.db, { path: 'q-late.csv', table: 'q_late', columns: { id: 'integer' } }, ctx.files.dir)
    expect([loaded.parsedInNode, loaded.widenings]).toEqual([true, ['encoding: Latin-1 → Windows-1252']])
    expect(rejected.map((r) => [r.line, r.raw])).toEqual([[3, '\\.']])
    expect(await ctx.db.query(`select count(*)::int as n, max(name) filter (where id = 1) as first, max(name) filter (where id = 20000) as last from q_late`)).toEqual([
      { n: 12_002, first: 'São', last: '€7' },
    ])
  })

  it('the Latin-1 guard names the line of the first 0x80–0x9F byte, counting lines of every chunk before it', async () => {
    // the byte is on the quoted field's second line: 1 header + 1 + 12,000 rows, then line 12,003 "a, line 12,004 b—"
    const file = await ctx.files.write('guard-line.csv.gz', bytes('id,name\n1,São\n', asciiRows(2, 12_000), '20000,"a\nb', cp.mdash, '"\n'))
    const dialect = { delimiter: ',', quote: '"', escape: '"', encoding: 'latin1' as const, detected: { delimiter: true, quote: true, encoding: true } }
    const failed = await text(guardLatin1Controls(openCsvFile(file).stream, { file, dialect })).then(() => undefined, (e: unknown) => e as CsvInputError)
    expect(failed).toMatchObject({ problem: 'encoding', line: 12_004, switchEncoding: { from: 'latin1', to: 'windows-1252' } })
    expect(failed?.message).toContain('guard-line.csv.gz, line 12004: byte 0x97 (— in Windows-1252) is a control character in Latin-1')
    // declared Latin-1: no guard at all
    const declared = guardLatin1Controls(openCsvFile(file).stream, { file, dialect: { ...dialect, detected: { ...dialect.detected, encoding: false } } })
    expect((await text(declared)).length).toBeGreaterThan(200_000)
  })

  it('detectCsvEncoding: a byte 0x80–0x9F that Windows-1252 defines, in a sample that is not UTF-8, means Windows-1252', () => {
    expect(detectCsvEncoding(bytes('a,b\n1,', cp.euro, '\n'))).toBe('windows-1252')
    expect(detectCsvEncoding(bytes('a,b\n1,São\n'))).toBe('latin1')
    expect(detectCsvEncoding(bytes('a,b\n1,', cp.ldquo, 'x', 0x9d, '\n'))).toBe('windows-1252')
    expect(detectCsvEncoding(bytes('a,b\n1,S', 0xe3, 'o', 0x9d, '\n'))).toBe('latin1')
    expect(detectCsvEncoding(Buffer.from('a,b\n1,São €\n'))).toBe('utf8')
  })
})

describe('a staged Windows-1252 CSV day', () => {
  const staged = csvStageContext('csv_w1252_stage', 'precos')

  it('extract records WIN1252 in the manifest; load --date reads the € and quotes back', async () => {
    await staged.write('precos.csv', bytes('id,nome\n1,Preço ', cp.euro, '5\n2,', cp.ldquo, 'ótimo', cp.rdquo, '\n'))
    const { manifest } = await staged.extract('precos.csv', '2024-07-01')
    expect(manifest.files.map((f) => f.format)).toEqual([expect.objectContaining({ kind: 'csv', encoding: 'WIN1252' })])
    await staged.load('precos.csv', '2024-07-01', 2)
    expect(await staged.destination.query(`select id, nome from raw.precos order by id`)).toEqual([
      { id: 1, nome: 'Preço €5' },
      { id: 2, nome: '“ótimo”' },
    ])
  })

  it('a late 0x80 in a Latin-1 file: extract reloads it as Windows-1252 and the manifest says so', async () => {
    await staged.write('late.csv', bytes('id,nome\n1,São\n', asciiRows(2, 12_000), '20000,', cp.euro, '9\n'))
    const { manifest } = await staged.extract('late.csv', '2024-07-02')
    expect(manifest.files.map((f) => f.format)).toEqual([expect.objectContaining({ encoding: 'WIN1252' })])
    await staged.load('late.csv', '2024-07-02', 12_002)
    expect(await staged.destination.query(`select nome from raw.precos where id in (1, 20000) order by id`)).toEqual([{ nome: 'São' }, { nome: '€9' }])
  })

  it('a staged Windows-1252 file with a late byte PostgreSQL cannot convert (0x8D): load decodes it in Node, every character kept', async () => {
    await staged.write('stray.csv', bytes('id,nome\n1,', cp.euro, '\n', asciiRows(2, 12_000), '20000,x', 0x8d, 'y\n'))
    const { manifest } = await staged.extract('stray.csv', '2024-07-04')
    expect(manifest.files.map((f) => f.format)).toEqual([expect.objectContaining({ encoding: 'WIN1252' })])
    await staged.load('stray.csv', '2024-07-04', 12_002)
    expect(await staged.destination.query(`select id, nome from raw.precos where id in (1, 20000) order by id`)).toEqual([
      { id: 1, nome: '€' },
      { id: 20000, nome: 'x\u008dy' },
    ])
  })

  it('a Windows-1252 sample with a byte PostgreSQL cannot convert: extract stages the file decoded in Node, as UTF-8', async () => {
    await staged.write('early.csv', bytes('id,nome\n1,', cp.euro, 0x81, cp.rdquo, '\n'))
    const { manifest } = await staged.extract('early.csv', '2024-07-05')
    expect(manifest.files.map((f) => f.format)).toEqual([expect.objectContaining({ encoding: 'UTF8' })])
    await staged.load('early.csv', '2024-07-05', 1)
    expect(await staged.destination.query(`select nome from raw.precos`)).toEqual([{ nome: '€\u0081”' }])
  })

  it('a staged glob of a UTF-8, a Windows-1252 and a Latin-1 export: each file keeps its own encoding at load', async () => {
    await staged.write('mix-1.csv', 'id,nome\n1,Florianópolis €\n')
    await staged.write('mix-2.csv', bytes('id,nome\n2,', cp.ldquo, 'Curitiba', cp.rdquo, '\n'))
    await staged.write('mix-3.csv', bytes('id,nome\n3,Belém\n'))
    const { manifest } = await staged.extract('mix-*.csv', '2024-07-03')
    expect(manifest.files.map((f) => f.format.kind === 'csv' && f.format.encoding)).toEqual(['UTF8', 'WIN1252', 'LATIN1'])
    await staged.load('mix-*.csv', '2024-07-03', 3)
    expect(await staged.destination.query(`select id, nome from raw.precos order by id`)).toEqual([
      { id: 1, nome: 'Florianópolis €' },
      { id: 2, nome: '“Curitiba”' },
      { id: 3, nome: 'Belém' },
    ])
  })
})
