import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { TestDatabase } from '@elt/core/testing'
import type { RowOf } from '@elt/runner'
import type { filmRatings } from '../src/index.ts'
import { buildModels, columnTypes, fixtureDatabase } from './fixture-database.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await fixtureDatabase(inject('pgAdminUrl'), 'film_ratings')
  const outcome = await buildModels(db)
  expect(outcome.results.filter((r) => r.status !== 'success')).toEqual([])
})
afterAll(() => db.drop())

/** The model's own row type: what the query returns, as the runner infers it. */
type FilmRating = RowOf<typeof filmRatings>

/** Exact rational arithmetic (BigInt) for the expected averages, independent of SQL numerics. */
type Fraction = { n: bigint; d: bigint }
const tenths = (rating: string): Fraction => ({ n: BigInt(Math.round(Number(rating) * 10)), d: 10n })
const add = (a: Fraction, b: Fraction): Fraction => ({ n: a.n * b.d + b.n * a.d, d: a.d * b.d })
const divide = (a: Fraction, k: bigint): Fraction => ({ n: a.n, d: a.d * k })
const mean = (values: Fraction[]) => divide(values.reduce(add, { n: 0n, d: 1n }), BigInt(values.length))
/** Round half away from zero to 2 decimals (Postgres `round(numeric, 2)`), positive values only. */
function round2(f: Fraction): string {
  const hundredths = (f.n * 200n + f.d) / (2n * f.d)
  return `${hundredths / 100n}.${String(hundredths % 100n).padStart(2, '0')}`
}
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b))

describe('film_ratings', () => {
  it('has the specified columns, in order, with the specified types', async () => {
    expect(await columnTypes(db, 'analytics.film_ratings')).toEqual([
      { name: 'film_id', type: 'integer' },
      { name: 'title', type: 'character varying(255)' },
      { name: 'release_date', type: 'date' },
      { name: 'price', type: 'numeric(5,2)' },
      { name: 'rating', type: 'character varying(10)' },
      { name: 'user_rating', type: 'numeric(2,1)' },
      { name: 'rating_category', type: 'text' },
      { name: 'actors', type: 'text' },
      { name: 'actor_count', type: 'bigint' },
      { name: 'avg_actor_rating', type: 'numeric' },
    ])
  })

  it('matches hand-computed values for chosen films (actors, no actors, NULL rating)', async () => {
    const rows = await db.query<FilmRating>(`select * from analytics.film_ratings where film_id in (1, 4, 48, 51, 114) order by film_id`)
    const pick = (r: FilmRating) => [r.film_id, r.user_rating, r.rating_category, r.actors, r.actor_count, r.avg_actor_rating]
    expect(rows.map(pick)).toEqual([
      // Morgan Freeman, Tim Robbins, Michael Smith (31), Ruth Calloway; mean of their own averages = 9287/2400 = 3.8696
      [1, '4.9', 'Excellent', 'Michael Smith, Morgan Freeman, Ruth Calloway, Tim Robbins', '4', '3.87'],
      // Orson Welles only, who plays in films 3 (4.6), 4 (4.3) and 20 (3.9): 12.8 / 3 = 4.2667
      [4, '4.3', 'Good', 'Orson Welles', '1', '4.27'],
      // NULL user_rating → Unrated, yet its actors are rated through their other films: 121/36 = 3.3611
      [48, null, 'Unrated', 'J.K. Simmons, Ke Huy Quan, Michelle Yeoh', '3', '3.36'],
      // no actors: NULL names, count 0, NULL average
      [51, '2.4', 'Poor', null, '0', null],
      // no actors and no rating
      [114, null, 'Unrated', null, '0', null],
    ])
    expect(rows[0]).toMatchObject({ title: 'The Shawshank Redemption', price: '12.99', rating: 'R' })
  })

  it('matches an independent computation for every film of the fixture', async () => {
    const films = await db.query<{ film_id: number; title: string; user_rating: string | null }>(`select film_id, title, user_rating from raw.films`)
    const cast = await db.query<{ film_id: number; actor_id: number }>(`select film_id, actor_id from raw.film_actors`)
    const actors = new Map((await db.query<{ actor_id: number; actor_name: string | null }>(`select * from raw.actors`)).map((a) => [a.actor_id, a.actor_name]))
    const rating = new Map(films.map((f) => [f.film_id, f.user_rating]))
    const actorMean = new Map<number, Fraction | null>()
    for (const actorId of actors.keys()) {
      const rated = cast.filter((c) => c.actor_id === actorId).map((c) => rating.get(c.film_id)).filter((r): r is string => r != null)
      actorMean.set(actorId, rated.length ? mean(rated.map(tenths)) : null)
    }
    const category = (r: string | null) => (r === null ? 'Unrated' : Number(r) >= 4.5 ? 'Excellent' : Number(r) >= 4 ? 'Good' : Number(r) >= 3 ? 'Average' : 'Poor')
    const expected = films
      .sort((a, b) => a.film_id - b.film_id)
      .map((f) => {
        const ids = cast.filter((c) => c.film_id === f.film_id).map((c) => c.actor_id)
        const names = ids.map((id) => actors.get(id)).filter((n): n is string => n != null).sort(byteOrder)
        const means = ids.map((id) => actorMean.get(id)).filter((m): m is Fraction => m != null)
        return {
          film_id: f.film_id,
          title: f.title,
          user_rating: f.user_rating,
          rating_category: category(f.user_rating),
          actors: names.length ? names.join(', ') : null,
          actor_count: String(ids.length),
          avg_actor_rating: means.length ? round2(mean(means)) : null,
        }
      })
    const actual = await db.query(
      `select film_id, title, user_rating, rating_category, actors, actor_count, avg_actor_rating from analytics.film_ratings order by film_id`,
    )
    expect(actual).toHaveLength(118)
    expect(actual).toEqual(expected)
    // the fixture's edge cases are all present
    expect(actual.filter((r) => r.actor_count === '0').map((r) => r.film_id)).toEqual([51, 53, 57, 63, 82, 96, 97, 107, 109, 114])
    expect(actual.filter((r) => r.user_rating === null).map((r) => r.film_id)).toEqual([48, 74, 96, 114])
  })

  it('copies the source columns unchanged (release_date and price NULLs included)', async () => {
    const mismatches = await db.query(
      `select f.film_id from raw.films f full join analytics.film_ratings r using (film_id)
       where (f.title, f.release_date, f.price, f.rating, f.user_rating) is distinct from (r.title, r.release_date, r.price, r.rating, r.user_rating)`,
    )
    expect(mismatches).toEqual([])
    expect(await db.query(`select release_date, price from analytics.film_ratings where film_id in (96, 97) order by film_id`)).toEqual([
      { release_date: null, price: '14.99' },
      { release_date: expect.any(Date), price: null },
    ])
  })
})
