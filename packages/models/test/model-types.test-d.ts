import { describe, expectTypeOf, it } from 'vitest'
import { defineModel, type RowOf } from '@elt/runner'
import { filmRatings, filmSales, raw, stgFilms, stgTicketSales, stgUsers, userDirectory } from '../src/index.ts'

describe('model row types', () => {
  it('a model row type is inferred from its query', () => {
    expectTypeOf<RowOf<typeof stgFilms>>().toEqualTypeOf<{
      film_id: number
      title: string
      release_date: Date | null
      price: string | null
      rating: string | null
      user_rating: string | null
    }>()
    expectTypeOf<RowOf<typeof stgUsers>>().toHaveProperty('user_id').toEqualTypeOf<number>()
    expectTypeOf<RowOf<typeof filmRatings>>().toEqualTypeOf<{
      film_id: number
      title: string
      release_date: Date | null
      price: string | null
      rating: string | null
      user_rating: string | null
      rating_category: string
      actors: string | null
      actor_count: string
      avg_actor_rating: string | null
    }>()
    expectTypeOf<keyof RowOf<typeof userDirectory>>().toEqualTypeOf<'user_id' | 'full_name' | 'email' | 'email_domain' | 'birth_year'>()
    // the CSV source's row type comes from codegen: every column nullable, types inferred from the file
    expectTypeOf<RowOf<typeof stgTicketSales>>().toHaveProperty('sold_at').toEqualTypeOf<Date | null>()
    expectTypeOf<RowOf<typeof stgTicketSales>>().toHaveProperty('promo_code').toEqualTypeOf<string | null>()
    expectTypeOf<RowOf<typeof filmSales>>().toEqualTypeOf<{
      film_id: number
      title: string
      rating_category: string
      sales: string
      tickets_sold: string
      revenue: string
      unpriced_sales: string
      buyers: string
      first_sale_at: Date | null
      last_sale_at: Date | null
    }>()
  })

  it('a misspelled column does not compile', () => {
    defineModel({
      name: 'typo',
      from: { films: stgFilms },
      // @ts-expect-error 'titel' is not a column of stg_films
      query: (db) => db.selectFrom('films').select(['film_id', 'titel']),
    })
    defineModel({
      name: 'typo_source',
      from: { films: raw.films },
      // @ts-expect-error raw.films has no column 'name'
      query: (db) => db.selectFrom('films').select('name'),
    })
    defineModel({
      name: 'typo_csv',
      from: { sales: raw.ticketSales },
      // @ts-expect-error the CSV has no column 'price' (it is unit_price)
      query: (db) => db.selectFrom('sales').select(['sale_id', 'price']),
    })
  })

  it('a table the model did not declare does not compile', () => {
    defineModel({
      name: 'undeclared',
      from: { films: stgFilms },
      // @ts-expect-error 'users' is not in from
      query: (db) => db.selectFrom('users').selectAll(),
    })
  })

  it('removing a column upstream breaks the downstream model', () => {
    const upstreamV1 = defineModel({ name: 'up', from: { films: raw.films }, query: (db) => db.selectFrom('films').select(['film_id', 'title']) })
    const upstreamV2 = defineModel({ name: 'up', from: { films: raw.films }, query: (db) => db.selectFrom('films').select(['film_id']) })
    defineModel({ name: 'down', from: { up: upstreamV1 }, query: (db) => db.selectFrom('up').select('title') })
    defineModel({
      name: 'down',
      from: { up: upstreamV2 },
      // @ts-expect-error 'title' was removed from the upstream model
      query: (db) => db.selectFrom('up').select('title'),
    })
  })

  it('renaming a column upstream breaks the downstream model', () => {
    const renamed = defineModel({ name: 'up', from: { films: raw.films }, query: (db) => db.selectFrom('films').select(['film_id', 'title as film_title']) })
    defineModel({ name: 'down', from: { up: renamed }, query: (db) => db.selectFrom('up').select('film_title') })
    // @ts-expect-error the column is now film_title
    defineModel({ name: 'down', from: { up: renamed }, query: (db) => db.selectFrom('up').select('title') })
  })

  it('column docs, tests and incremental keys are checked against the row type', () => {
    defineModel({
      name: 'docs',
      from: { films: stgFilms },
      query: (db) => db.selectFrom('films').select(['film_id']),
      // @ts-expect-error 'title' is not a column of this model
      columns: { title: { description: 'not selected' } },
    })
    const badKey = defineModel({
      name: 'bad_key',
      materialized: 'incremental',
      from: { films: stgFilms },
      query: (db) => db.selectFrom('films').select(['film_id']),
      incremental: { uniqueKey: ['film_idd'] },
    })
    expectTypeOf(badKey).toHaveProperty('unknownColumns').toEqualTypeOf<'film_idd'>()
    // @ts-expect-error a model with an unknown incremental key cannot be used downstream
    defineModel({ name: 'uses_bad', from: { badKey }, query: (db) => db.selectFrom('badKey').selectAll() })
  })
})
