import { describe, expect, it } from 'vitest'
import { describeCsvSource } from '../src/sources/csv/describe-csv-source.ts'
import { detectCsvDialect } from '../src/sources/csv/detect-csv-dialect.ts'
import { columnTypes, csvTestContext, loadCsv } from './csv-helpers.ts'

const ctx = csvTestContext('csv_files')

describe('CSV files and dialects', () => {
  it('drops a UTF-8 BOM (else COPY reads it into the first column name)', async () => {
    await ctx.files.write('bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('id,name\n1,Zoë\n2,Ångström\n')]))
    const loaded = await loadCsv(ctx.db, { path: 'bom.csv', table: 'bom' }, ctx.files.dir)
    expect(loaded.columns.map((c) => c.name)).toEqual(['id', 'name'])
    expect(await ctx.db.query(`select id, name from bom order by id`)).toEqual([
      { id: 1, name: 'Zoë' },
      { id: 2, name: 'Ångström' },
    ])
  })

  it('detects a Latin-1 file and loads its accents as they read', async () => {
    await ctx.files.write('latin1.csv', Buffer.from('código;descrição\n1;São Paulo\n2;"Açaí; pão"\n', 'latin1'))
    const description = await describeCsvSource({ path: 'latin1.csv', table: 'latin1' }, { cwd: ctx.files.dir })
    expect(description.dialect).toMatchObject({ encoding: 'latin1', delimiter: ';', quote: '"' })
    await loadCsv(ctx.db, { path: 'latin1.csv', table: 'latin1' }, ctx.files.dir)
    expect(await ctx.db.query(`select "código", "descrição" from latin1 order by 1`)).toEqual([
      { código: 1, descrição: 'São Paulo' },
      { código: 2, descrição: 'Açaí; pão' },
    ])
  })

  it('switches to Latin-1 when a byte past the sampled start is not UTF-8 (encoding detected, not declared)', async () => {
    const ascii = Array.from({ length: 7000 }, (_, i) => `${i},plain row ${i}`).join('\n')
    await ctx.files.write('late-latin1.csv', Buffer.concat([Buffer.from(`id,name\n${ascii}\n`), Buffer.from('7000,Conceição\n', 'latin1')]))
    const loaded = await loadCsv(ctx.db, { path: 'late-latin1.csv', table: 'late_latin1' }, ctx.files.dir)
    expect(loaded.widenings).toEqual(['encoding: UTF-8 → Latin-1'])
    expect(await ctx.db.query(`select count(*)::int as n, max(name) filter (where id = 7000) as last from late_latin1`)).toEqual([{ n: 7001, last: 'Conceição' }])
  })

  it('a glob mixing UTF-8 and Latin-1 exports reads each file with its own encoding', async () => {
    await ctx.files.write('mix-1.csv', 'id,city\n1,São Paulo\n')
    await ctx.files.write('mix-2.csv', Buffer.from('id,city\n2,Belém\n', 'latin1'))
    await ctx.files.write('mix-3.csv', 'id,city\n3,Curitiba\n')
    const loaded = await loadCsv(ctx.db, { path: 'mix-*.csv', table: 'mix' }, ctx.files.dir)
    expect(loaded.widenings).toEqual([])
    expect(await ctx.db.query(`select id, city from mix order by id`)).toEqual([
      { id: 1, city: 'São Paulo' },
      { id: 2, city: 'Belém' },
      { id: 3, city: 'Curitiba' },
    ])
  })

  it('infers from the rows of every file in order, up to inferRows', async () => {
    await ctx.files.write('rows-1.csv', 'id,v\n1,1\n')
    await ctx.files.write('rows-2.csv', 'id,v\n2,2.5\n')
    await ctx.files.write('rows-3.csv', 'id,v\n3,x\n')
    const two = await describeCsvSource({ path: 'rows-*.csv', table: 'rows', inferRows: 2 }, { cwd: ctx.files.dir })
    // two rows read (numeric), more left: integers start at integer
    expect(two.columns.map((c) => c.type)).toEqual(['integer', 'numeric'])
    const all = await describeCsvSource({ path: 'rows-*.csv', table: 'rows' }, { cwd: ctx.files.dir })
    expect(all.columns.map((c) => c.type)).toEqual(['smallint', 'text'])
  })

  it('reads quoted delimiters, doubled quotes and newlines inside quotes, with CRLF line ends', async () => {
    await ctx.files.write('quoted.csv', 'id,note,amount\r\n1,"Hello, world",1.5\r\n2,"He said ""hi""",2\r\n3,"line one\r\nline two",\r\n4,,3\r\n')
    await loadCsv(ctx.db, { path: 'quoted.csv', table: 'quoted' }, ctx.files.dir)
    expect(await columnTypes(ctx.db, 'quoted')).toEqual({ id: 'smallint', note: 'text', amount: 'numeric' })
    expect(await ctx.db.query(`select id, note, amount::text from quoted order by id`)).toEqual([
      { id: 1, note: 'Hello, world', amount: '1.5' },
      { id: 2, note: 'He said "hi"', amount: '2' },
      { id: 3, note: 'line one\r\nline two', amount: null },
      { id: 4, note: null, amount: '3' },
    ])
  })

  it('detects tab and pipe delimiters and single quotes; options override detection', () => {
    expect(detectCsvDialect(Buffer.from('a\tb\tc\n1\t2,5\t3\n'), {}).delimiter).toBe('\t')
    expect(detectCsvDialect(Buffer.from('a|b\n1|2\n'), {}).delimiter).toBe('|')
    expect(detectCsvDialect(Buffer.from("a,b\n'x, y',2\n"), {})).toMatchObject({ quote: "'", escape: "'", delimiter: ',' })
    expect(detectCsvDialect(Buffer.from('a;b\n1;2\n'), { delimiter: ',', encoding: 'latin1' })).toMatchObject({
      delimiter: ',',
      encoding: 'latin1',
      detected: { delimiter: false, quote: true, encoding: false },
    })
    expect(() => detectCsvDialect(Buffer.from('a\n'), { delimiter: ';;' })).toThrow(/delimiter must be one character/)
  })

  it('loads a single-quoted file with a semicolon delimiter', async () => {
    await ctx.files.write('single.csv', "id;label\n1;'a;b'\n2;'it''s'\n")
    await loadCsv(ctx.db, { path: 'single.csv', table: 'single' }, ctx.files.dir)
    expect(await ctx.db.query(`select id, label from single order by id`)).toEqual([
      { id: 1, label: 'a;b' },
      { id: 2, label: "it's" },
    ])
  })

  it('loads a glob of three files (one gzipped) into one table, rows in file order', async () => {
    await ctx.files.write('part-03.csv', 'id,city\n5,Curitiba\n6,Belém\n')
    await ctx.files.write('part-01.csv', 'id,city\n1,São Paulo\n2,"Rio de Janeiro, RJ"\n')
    await ctx.files.write('part-02.csv.gz', 'id,city\n3,Recife\n4,Porto Alegre\n')
    const description = await describeCsvSource({ path: 'part-*.csv*', table: 'parts' }, { cwd: ctx.files.dir })
    expect(description.files.map((f) => f.slice(ctx.files.dir.length + 1))).toEqual(['part-01.csv', 'part-02.csv.gz', 'part-03.csv'])
    const loaded = await loadCsv(ctx.db, { path: 'part-*.csv*', table: 'parts' }, ctx.files.dir)
    expect(loaded.rows).toBe(6)
    expect(await ctx.db.query(`select id, city from parts order by ctid`)).toEqual([
      { id: 1, city: 'São Paulo' },
      { id: 2, city: 'Rio de Janeiro, RJ' },
      { id: 3, city: 'Recife' },
      { id: 4, city: 'Porto Alegre' },
      { id: 5, city: 'Curitiba' },
      { id: 6, city: 'Belém' },
    ])
  })

  it('a path that names nothing is a config error naming it', async () => {
    await expect(describeCsvSource({ path: 'nothing-*.csv', table: 'x' }, { cwd: ctx.files.dir })).rejects.toMatchObject({
      message: expect.stringContaining('"nothing-*.csv" matches no file'),
      exitCode: 2,
    })
    await expect(describeCsvSource({ path: 'missing.csv', table: 'x' }, { cwd: ctx.files.dir })).rejects.toMatchObject({
      message: expect.stringContaining('"missing.csv" does not exist'),
      exitCode: 2,
    })
  })

  it('refuses empty and repeated header names, and declared columns the header lacks', async () => {
    await ctx.files.write('dup.csv', 'id,name,id\n1,a,2\n')
    await ctx.files.write('blank.csv', 'id,,name\n1,a,b\n')
    await ctx.files.write('empty.csv', '')
    await ctx.files.write('nul.csv', 'id,na\u0000me\n1,a\n')
    await ctx.files.write('long.csv', `id,${'é'.repeat(32)}\n1,a\n`)
    await ctx.files.write('ok.csv', 'id,name\n1,a\n')
    await expect(describeCsvSource({ path: 'dup.csv', table: 'x' }, { cwd: ctx.files.dir })).rejects.toThrow(/header column 3 "id" repeats column 1/)
    await expect(describeCsvSource({ path: 'blank.csv', table: 'x' }, { cwd: ctx.files.dir })).rejects.toThrow(/header column 2 has no name/)
    await expect(describeCsvSource({ path: 'empty.csv', table: 'x' }, { cwd: ctx.files.dir })).rejects.toThrow(/the file is empty/)
    await expect(describeCsvSource({ path: 'nul.csv', table: 'x' }, { cwd: ctx.files.dir })).rejects.toThrow(/header column 2 contains a NUL character/)
    // 64 bytes: PostgreSQL would cut it to 63 and HEADER MATCH would then fail on every file
    await expect(describeCsvSource({ path: 'long.csv', table: 'x' }, { cwd: ctx.files.dir })).rejects.toThrow(/header column 2 .* longer than PostgreSQL's 63-byte identifiers/)
    await expect(describeCsvSource({ path: 'ok.csv', table: 'x', columns: { Name: 'text' } }, { cwd: ctx.files.dir })).rejects.toMatchObject({
      message: expect.stringContaining('"Name" declared in config are not in the header'),
      exitCode: 2,
    })
    await expect(describeCsvSource({ path: 'ok.csv', table: 'x', columns: { name: 'text); drop table x; --' } }, { cwd: ctx.files.dir })).rejects.toMatchObject({
      message: expect.stringContaining('not a PostgreSQL type name'),
      exitCode: 2,
    })
  })
})
