import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { TestDatabase } from '@elt/core/testing'
import pg from 'pg'
import { collectProject, compileProjectTests, planProject, runTests, selectTests, type RowOf } from '@elt/runner'
import * as models from '../src/index.ts'
import type { filmSales } from '../src/index.ts'
import { buildModels, columnTypes, fixtureDatabase, ticketSalesCsv } from './fixture-database.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await fixtureDatabase(inject('pgAdminUrl'), 'film_sales')
  const outcome = await buildModels(db)
  expect(outcome.results.filter((r) => r.status !== 'success')).toEqual([])
})
afterAll(() => db.drop())

type FilmSale = RowOf<typeof filmSales>

/**
 * The CSV read here on its own (not through the loader): fields split on commas outside double
 * quotes, a doubled quote inside quotes is one quote, an empty field is missing. The sample has no
 * line break inside a field.
 */
function readCsv(text: string): Record<string, string | undefined>[] {
  const [header, ...lines] = text.trimEnd().split('\n').map(splitFields)
  return lines.map((fields) => Object.fromEntries(header!.map((name, i) => [name, fields[i] === '' ? undefined : fields[i]])))
}
function splitFields(line: string): string[] {
  const fields: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quoted && c === '"' && line[i + 1] === '"') (field += '"'), i++
    else if (c === '"') quoted = !quoted
    else if (c === ',' && !quoted) fields.push(field), (field = '')
    else field += c
  }
  fields.push(field)
  return fields
}

/** Cents as an exact integer: "12.30" → 1230n. */
const cents = (price: string) => BigInt(price.replace('.', ''))
const money = (c: bigint) => `${c / 100n}.${String(c % 100n).padStart(2, '0')}`

interface Expected {
  sales: number
  tickets: number
  revenue: bigint
  unpriced: number
  buyers: Set<string>
  first?: number
  last?: number
}

describe('film_sales (from the CSV source raw.ticket_sales)', () => {
  it('loaded the whole CSV: 5,000 sales, Unicode, quoted commas and quotes, empty fields as NULL', async () => {
    const rows = readCsv(await readFile(ticketSalesCsv, 'utf8'))
    const [counts] = await db.query<{ n: number; accounts: number; priced: number; notes: number }>(
      `select count(*)::int as n, count(user_id)::int as accounts, count(unit_price)::int as priced, count(note)::int as notes from raw.ticket_sales`,
    )
    expect(counts).toEqual({
      n: 5000,
      accounts: rows.filter((r) => r.user_id !== undefined).length,
      priced: rows.filter((r) => r.unit_price !== undefined).length,
      notes: rows.filter((r) => r.note !== undefined).length,
    })
    // sale 1 has a comma inside its quoted cinema and no price; a promo code keeps its leading zero
    expect(await db.query(`select cinema, unit_price, promo_code from raw.ticket_sales where sale_id in (1, 2) order by sale_id`)).toEqual([
      { cinema: 'Cine Belas Artes, São Paulo', unit_price: null, promo_code: null },
      { cinema: 'Prince Charles Cinema, London', unit_price: '8.70', promo_code: '0460' },
    ])
    const quoted = rows.find((r) => r.note?.includes('"'))!
    expect(await db.query(`select note from raw.ticket_sales where sale_id = $1`, [Number(quoted.sale_id)])).toEqual([{ note: quoted.note }])
  })

  it('has the specified columns, in order, with the specified types', async () => {
    expect(await columnTypes(db, 'analytics.film_sales')).toEqual([
      { name: 'film_id', type: 'integer' },
      { name: 'title', type: 'character varying(255)' },
      { name: 'rating_category', type: 'text' },
      { name: 'sales', type: 'bigint' },
      { name: 'tickets_sold', type: 'bigint' },
      { name: 'revenue', type: 'numeric' },
      { name: 'unpriced_sales', type: 'bigint' },
      { name: 'buyers', type: 'bigint' },
      { name: 'first_sale_at', type: 'timestamp with time zone' },
      { name: 'last_sale_at', type: 'timestamp with time zone' },
    ])
  })

  it('matches an independent computation from the CSV file for every film', async () => {
    const byFilm = new Map<number, Expected>()
    for (const row of readCsv(await readFile(ticketSalesCsv, 'utf8'))) {
      const film = Number(row.film_id)
      const e = byFilm.get(film) ?? { sales: 0, tickets: 0, revenue: 0n, unpriced: 0, buyers: new Set<string>() }
      const at = Date.parse(row.sold_at!)
      e.sales++
      e.tickets += Number(row.tickets)
      if (row.unit_price === undefined) e.unpriced++
      else e.revenue += BigInt(row.tickets!) * cents(row.unit_price)
      if (row.user_id !== undefined) e.buyers.add(row.user_id)
      e.first = Math.min(e.first ?? at, at)
      e.last = Math.max(e.last ?? at, at)
      byFilm.set(film, e)
    }
    const films = await db.query<{ film_id: number; title: string }>(`select film_id, title from raw.films order by film_id`)
    const expected = films.map((f) => {
      const e = byFilm.get(f.film_id)
      return {
        film_id: f.film_id,
        title: f.title,
        sales: String(e?.sales ?? 0),
        tickets_sold: String(e?.tickets ?? 0),
        revenue: money(e?.revenue ?? 0n),
        unpriced_sales: String(e?.unpriced ?? 0),
        buyers: String(e?.buyers.size ?? 0),
        first_sale_at: e?.first === undefined ? null : new Date(e.first),
        last_sale_at: e?.last === undefined ? null : new Date(e.last),
      }
    })
    const actual = await db.query<FilmSale>(
      `select film_id, title, sales, tickets_sold, revenue, unpriced_sales, buyers, first_sale_at, last_sale_at from analytics.film_sales order by film_id`,
    )
    expect(actual).toHaveLength(118)
    expect(actual).toEqual(expected)
    // the sample covers every film id in 1..118 it draws from; totals agree with the file
    expect(actual.reduce((n, r) => n + Number(r.sales), 0)).toBe(5000)
    expect(actual.some((r) => Number(r.unpriced_sales) > 0)).toBe(true)
  })

  it('takes the rating category from film_ratings', async () => {
    const mismatches = await db.query(
      `select s.film_id from analytics.film_sales s join analytics.film_ratings r using (film_id) where s.rating_category is distinct from r.rating_category`,
    )
    expect(mismatches).toEqual([])
  })

  it('the data tests of raw.ticket_sales, stg_ticket_sales and film_sales pass, and catch a duplicate or out-of-range sale', async () => {
    const plan = planProject(collectProject(models), { name: 'prod', schema: 'analytics' })
    // freshness reads the load records of `pnpm elt replicate`, which this fixture has none of
    const tests = selectTests(plan.graph, compileProjectTests(plan), { select: ['source:raw.ticket_sales+'], exclude: ['test_type:freshness'] })
    expect(tests.map((t) => t.id)).toEqual(expect.arrayContaining(['unique_film_sales_film_id', 'unique_stg_ticket_sales_sale_id', 'source_unique_raw_ticket_sales_sale_id']))
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    try {
      const clean = await runTests(client, tests, { record: false })
      expect(clean.results.filter((r) => r.status !== 'pass').map((r) => [r.id, r.status, r.message])).toEqual([])
      expect(clean.results.length).toBe(tests.length)
      await client.query('begin')
      await client.query(`insert into raw.ticket_sales (sale_id, film_id, tickets, payment) values (1, 1, 9, 'card')`)
      const broken = await runTests(client, tests, { record: false })
      await client.query('rollback')
      expect(broken.results.filter((r) => r.status === 'fail').map((r) => [r.id, r.failures]).sort()).toEqual([
        ['accepted_range_stg_ticket_sales_tickets', 1],
        ['source_unique_raw_ticket_sales_sale_id', 1],
        ['unique_stg_ticket_sales_sale_id', 1],
      ])
    } finally {
      await client.end()
    }
  })
})
