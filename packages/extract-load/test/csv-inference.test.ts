import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { widenCsvType } from '../src/sources/csv/widen-csv-type.ts'
import { columnTypes, csvTestContext, loadCsv } from './csv-helpers.ts'

const ctx = csvTestContext('csv_infer')

describe('CSV type inference', () => {
  it('infers each type from the data, keeps leading zeros as text, loads empty fields as NULL', async () => {
    await ctx.files.write(
      'types.csv',
      [
        'small,int,big,huge,dec,dbl,flag,day,at,at_tz,zip,code,empty,Mixed Case',
        '1,70000,3000000000,123456789012345678901234,1.50,1.5e3,true,2024-01-15,2024-01-15 10:30:00,2024-01-15T10:30:00Z,01310100,007,,x',
        '-32768,-5,1,1,-2,2E-3,F,2024-02-29,2024-01-15T10:30:00.123456,2024-01-15 10:30:00+02:00,02,0,,"y, z"',
        ',,,,,,,,,,,,,',
        '32767,2147483647,-9223372036854775808,5,.5,-1e10,yes,2000-12-31,2024-01-15 23:59,2024-01-15 10:30-0330,12345,1,,',
      ].join('\n') + '\n',
    )
    const loaded = await loadCsv(ctx.db, { path: 'types.csv', table: 'types' }, ctx.files.dir)
    expect(loaded.widenings).toEqual([])
    expect(await columnTypes(ctx.db, 'types')).toEqual({
      small: 'smallint',
      int: 'integer',
      big: 'bigint',
      huge: 'numeric',
      dec: 'numeric',
      dbl: 'double precision',
      flag: 'boolean',
      day: 'date',
      at: 'timestamp without time zone',
      at_tz: 'timestamp with time zone',
      zip: 'text',
      code: 'text',
      empty: 'text',
      'Mixed Case': 'text',
    })
    const data = await ctx.db.query<Record<string, string | null>>(
      `select small::text, int::text, big::text, huge::text, dec::text, dbl::text, flag::text, day::text, at::text,
              (at_tz at time zone 'UTC')::text as at_tz, zip, code, empty, "Mixed Case" from types order by ctid`,
    )
    expect(data).toEqual([
      { small: '1', int: '70000', big: '3000000000', huge: '123456789012345678901234', dec: '1.50', dbl: '1500', flag: 'true', day: '2024-01-15',
        at: '2024-01-15 10:30:00', at_tz: '2024-01-15 10:30:00', zip: '01310100', code: '007', empty: null, 'Mixed Case': 'x' },
      { small: '-32768', int: '-5', big: '1', huge: '1', dec: '-2', dbl: '0.002', flag: 'false', day: '2024-02-29',
        at: '2024-01-15 10:30:00.123456', at_tz: '2024-01-15 08:30:00', zip: '02', code: '0', empty: null, 'Mixed Case': 'y, z' },
      { small: null, int: null, big: null, huge: null, dec: null, dbl: null, flag: null, day: null, at: null, at_tz: null, zip: null, code: null, empty: null, 'Mixed Case': null },
      { small: '32767', int: '2147483647', big: '-9223372036854775808', huge: '5', dec: '0.5', dbl: '-10000000000', flag: 'true', day: '2000-12-31',
        at: '2024-01-15 23:59:00', at_tz: '2024-01-15 14:00:00', zip: '12345', code: '1', empty: null, 'Mixed Case': null },
    ])
  })

  it('keeps a leading plus sign: a column of dialling codes stays text, a later one widens an inferred integer to text', async () => {
    await ctx.files.write('codes.csv', 'country,dial,n\nUK,+44,1\nUS,+1,2\nPT,+351,+3\n')
    await loadCsv(ctx.db, { path: 'codes.csv', table: 'codes', inferRows: 2 }, ctx.files.dir)
    expect(await columnTypes(ctx.db, 'codes')).toEqual({ country: 'text', dial: 'text', n: 'text' })
    expect(await ctx.db.query('select dial, n from codes order by country')).toEqual([
      { dial: '+351', n: '+3' },
      { dial: '+44', n: '1' },
      { dial: '+1', n: '2' },
    ])
  })

  it('mixes kinds into the type that holds them all, and anything else into text', async () => {
    await ctx.files.write(
      'mixed.csv',
      'int_dec,int_dbl,date_ts,ts_tz,bool_int,date_int,not_date,spaced,quoted_empty\n' +
        '1,1,2024-01-01,2024-01-01 00:00,true,2024-01-01,2024-02-30, 1,""\n' +
        '1.25,2e2,2024-01-01 12:00,2024-01-01 00:00+01,1,5,2024-01-01,2,3\n',
    )
    await loadCsv(ctx.db, { path: 'mixed.csv', table: 'mixed' }, ctx.files.dir)
    expect(await columnTypes(ctx.db, 'mixed')).toEqual({
      int_dec: 'numeric',
      int_dbl: 'double precision',
      date_ts: 'timestamp without time zone',
      ts_tz: 'timestamp with time zone',
      bool_int: 'text',
      date_int: 'text',
      not_date: 'text',
      spaced: 'text',
      quoted_empty: 'smallint',
    })
    // a quoted empty field is NULL too (FORCE_NULL), so it does not force text
    expect(await ctx.db.query(`select quoted_empty from mixed order by 1 nulls first`)).toEqual([{ quoted_empty: null }, { quoted_empty: 3 }])
  })

  it('declared types win over inference', async () => {
    await ctx.files.write('declared.csv', 'id,amount,zip\n1,10,123\n2,20.5,456\n')
    const loaded = await loadCsv(ctx.db, { path: 'declared.csv', table: 'declared', columns: { id: 'bigint', zip: 'varchar(5)' } }, ctx.files.dir)
    expect(loaded.columns.map((c) => [c.name, c.type, c.inferred])).toEqual([
      ['id', 'bigint', false],
      ['amount', 'numeric', true],
      ['zip', 'varchar(5)', false],
    ])
    expect(await columnTypes(ctx.db, 'declared')).toEqual({ id: 'bigint', amount: 'numeric', zip: 'character varying(5)' })
    expect(await ctx.db.query(`select id::text, amount::text, zip from declared order by id`)).toEqual([
      { id: '1', amount: '10', zip: '123' },
      { id: '2', amount: '20.5', zip: '456' },
    ])
  })

  it('infers from the first inferRows rows only', async () => {
    await ctx.files.write('sample.csv', 'n\n1\n2\n3\nabc\n')
    await expect(loadCsv(ctx.db, { path: 'sample.csv', table: 'sample', inferRows: 3, columns: {} }, ctx.files.dir).then((l) => l.widenings)).resolves.toEqual([
      'column "n": integer → text',
    ])
    expect(await ctx.db.query(`select n from sample`)).toEqual([{ n: '1' }, { n: '2' }, { n: '3' }, { n: 'abc' }])
  })

  it("loads the project's sample source_db_init/ticket_sales.csv with the types a model can rely on", async () => {
    const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))
    const loaded = await loadCsv(ctx.db, { path: 'source_db_init/ticket_sales.csv', table: 'ticket_sales' }, repoRoot)
    expect(loaded.rows).toBe(5000)
    expect(await columnTypes(ctx.db, 'ticket_sales')).toEqual({
      sale_id: 'smallint',
      film_id: 'smallint',
      user_id: 'smallint',
      cinema: 'text',
      seat: 'text',
      showing_date: 'date',
      sold_at: 'timestamp with time zone',
      tickets: 'smallint',
      unit_price: 'numeric',
      payment: 'text',
      promo_code: 'text',
      note: 'text',
    })
    const [facts] = await ctx.db.query(
      `select min(film_id) >= 1 and max(film_id) <= 118 as films, min(user_id) >= 1 and max(user_id) <= 42 as users,
              count(*) filter (where user_id is null) > 0 as anonymous, count(*) filter (where promo_code like '0%') > 0 as leading_zeros,
              count(*) filter (where cinema = 'Cine Belas Artes, São Paulo') > 0 as quoted_comma,
              count(*) filter (where note like '%"%') > 0 as quotes from ticket_sales`,
    )
    expect(facts).toEqual({ films: true, users: true, anonymous: true, leading_zeros: true, quoted_comma: true, quotes: true })
  })

  it('widens one step, or straight to a type that holds the rejected value', () => {
    expect(widenCsvType('smallint')).toBe('integer')
    expect(widenCsvType('integer', '3000000000')).toBe('bigint')
    expect(widenCsvType('integer', '1.5')).toBe('numeric')
    expect(widenCsvType('bigint', '1e400')).toBe('numeric')
    expect(widenCsvType('double precision', '1e400')).toBe('numeric')
    expect(widenCsvType('date', '2024-01-01 10:00')).toBe('timestamp')
    expect(widenCsvType('date', '2024-01-01 10:00Z')).toBe('timestamptz')
    expect(widenCsvType('boolean', 'maybe')).toBe('text')
    expect(widenCsvType('integer', 'abc')).toBe('text')
    expect(widenCsvType('text', 'abc')).toBeUndefined()
  })
})
