import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import copyStreams from 'pg-copy-streams'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { connectClient } from '@elt/core'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { CsvRecordScanner, type CsvQuoting } from '../src/sources/csv/csv-record-scanner.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'csv_scanner')
})
afterAll(() => db?.drop())

const comma: CsvQuoting = { delimiter: ',', quote: '"', escape: '"' }

/** Three-field CSV texts (no header) with every quoting rule PostgreSQL's CSV parser has, each with one kind of line end. */
const cases: { name: string; quoting: CsvQuoting; csv: string }[] = [
  { name: 'LF, doubled quotes, a quoted newline, an empty string, no final newline', quoting: comma, csv: 'a,"b,c","d""e"\n"x\ny",,z\n1,"",3' },
  { name: 'CR LF with a quoted CR LF', quoting: comma, csv: 'a,"q\r\nr",c\r\n,"",\r\n"x""",y,"z"\r\n' },
  { name: 'CR alone', quoting: comma, csv: 'a,b,c\r"d\re",f,g\r' },
  { name: 'a backslash escape: \\" and \\\\ are literals, \\x stays', quoting: { ...comma, escape: '\\' }, csv: 'a,"b\\"c",d\n"e\\\\",f\\g,"h\\x"\n' },
  { name: "; and ' quotes", quoting: { delimiter: ';', quote: "'", escape: "'" }, csv: "a;'b;c';'it''s'\n'x\n';;\n" },
  { name: 'a quote inside an unquoted field starts quoting', quoting: comma, csv: 'ab"c,d"e,f,g\n' },
  { name: 'UTF-8 text', quoting: comma, csv: 'ção,"ü\nß",日本\n' },
]

/** The scanner's records and non-empty watched values (`field:value`), `bytes` fed in the given chunks. */
function scan(quoting: CsvQuoting, chunks: Buffer[]): { rows: number; values: string[] } {
  const values: string[] = []
  const scanner = new CsvRecordScanner(quoting, {
    fields: [true, true, true],
    header: false,
    check: (field, bytes, start, end) => {
      values.push(`${field}:${Buffer.from(bytes).toString('utf8', start, end)}`)
      return null
    },
  })
  for (const chunk of chunks) expect(scanner.scan(chunk)).toBeNull()
  expect(scanner.finish()).toBeNull()
  return { rows: scanner.records + (scanner.open ? 1 : 0), values }
}

/** What PostgreSQL's `COPY … (FORMAT csv)` reads from `csv`: its rows and non-empty values, in the scanner's terms. */
async function copied(quoting: CsvQuoting, csv: string): Promise<{ rows: number; values: string[] }> {
  const literal = (c: string) => `'${c.replace(/'/g, "''")}'`
  const client = await connectClient({ label: 'test', url: db.url })
  try {
    await client.query('drop table if exists scanned; create table scanned (f0 text, f1 text, f2 text)')
    const sql = `copy scanned from stdin (format csv, delimiter ${literal(quoting.delimiter)}, quote ${literal(quoting.quote)}, escape ${literal(quoting.escape)})`
    await pipeline(Readable.from([Buffer.from(csv)]), client.query(copyStreams.from(sql)))
    const { rows } = await client.query<{ f0: string | null; f1: string | null; f2: string | null }>('select f0, f1, f2 from scanned order by ctid')
    const values = rows.flatMap((r) => [r.f0, r.f1, r.f2].flatMap((v, i) => (v ? [`${i}:${v}`] : [])))
    return { rows: rows.length, values }
  } finally {
    await client.end()
  }
}

describe('CsvRecordScanner reads records and fields as PostgreSQL does', () => {
  it.each(cases)('$name: at every split point and byte by byte', async ({ quoting, csv }) => {
    const expected = await copied(quoting, csv)
    expect(expected.rows).toBeGreaterThan(0)
    const bytes = Buffer.from(csv)
    for (let cut = 0; cut <= bytes.length; cut++) expect([cut, scan(quoting, [bytes.subarray(0, cut), bytes.subarray(cut)])]).toEqual([cut, expected])
    expect(scan(quoting, [...bytes].map((b) => Buffer.from([b])))).toEqual(expected)
  })

  it('counts physical lines, a header record is not watched, and the first error stops the scan', () => {
    const seen: string[] = []
    const scanner = new CsvRecordScanner(comma, {
      fields: [false, true],
      header: true,
      check: (_field, bytes, start, end, line) => {
        const text = Buffer.from(bytes).toString('utf8', start, end)
        seen.push(`${line}:${text}`)
        return text === 'stop' ? new Error(`line ${line}`) : null
      },
    })
    expect(scanner.scan(Buffer.from('a,b\r\nx,"1\n2"\r\n"y\n",3\nz,stop\nw,never\n'))?.message).toBe('line 6')
    expect(seen).toEqual(['3:1\n2', '5:3', '6:stop'])
  })

  it('a watched field over 1 MiB keeps its start and reports its full length (end beyond the bytes kept)', () => {
    const lengths: number[] = []
    const check = (_field: number, bytes: Uint8Array, start: number, end: number) => {
      lengths.push(end - start, end > bytes.length ? 1 : 0)
      return null
    }
    const scanner = new CsvRecordScanner(comma, { fields: [true], header: false, check })
    const long = '7'.repeat(1024 * 1024 + 5)
    scanner.scan(Buffer.from(`${long.slice(0, 1000)}`))
    scanner.scan(Buffer.from(`${long.slice(1000)}\n8\n`))
    expect(lengths).toEqual([1024 * 1024 + 5, 1, 1, 0])
  })
})
