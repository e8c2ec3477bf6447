import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  acceptedRange,
  acceptedValues,
  defineModel,
  defineSource,
  defineTest,
  expression,
  freshness,
  notNull,
  relationships,
  rowCount,
  unique,
  uniqueCombination,
  type ColumnTest,
  type RelationshipsTest,
} from '../src/index.ts'

/**
 * Type tests: bad declarations do not compile. `tsc -p packages/runner` checks every
 * `@ts-expect-error` below (an unused one is itself an error); the runtime assertions only
 * check that the good declarations produce the expected test objects.
 */
type Film = { film_id: number; title: string; rating: string | null; user_rating: string | null; released: Date | null }
type Cast = { film_id: number; actor_id: number }
const films = defineSource<Film>({ schema: 'raw', name: 'films' })
const cast = defineSource<Cast>({ schema: 'raw', name: 'film_actors' })

describe('data test declarations', () => {
  it('accept well-typed tests on a model', () => {
    const model = defineModel({
      name: 'typed_cast',
      from: { cast, films },
      query: (db) => db.selectFrom('cast').innerJoin('films', 'films.film_id', 'cast.film_id').select(['cast.film_id', 'cast.actor_id', 'films.rating', 'films.user_rating']),
      columns: {
        film_id: { tests: ['not_null', 'unique', relationships(films, 'film_id'), notNull({ where: (eb) => eb('actor_id', '>', 1), severity: 'warn', errorIf: '> 10' })] },
        rating: { tests: [acceptedValues(['G', 'PG']), expression((eb) => eb('rating', '<>', 'X'))] },
        user_rating: { tests: [acceptedRange({ min: 1, max: 5 }), acceptedRange({ min: '1.0', inclusive: false })] },
      },
      tests: [uniqueCombination(['film_id', 'actor_id']), rowCount({ min: 1 }), freshness({ warnAfter: '1d' })],
    })
    expect(model.columns.film_id?.tests).toHaveLength(4)
    expectTypeOf(relationships(films, 'film_id')).toMatchTypeOf<RelationshipsTest<any, typeof films>>()
    expectTypeOf<'not_null'>().toMatchTypeOf<ColumnTest<Film, 'film_id'>>()
  })

  it('reject unknown columns, wrong targets, wrong value types and bad thresholds', () => {
    defineSource<Cast>({
      schema: 'raw',
      name: 'film_actors',
      columns: {
        // @ts-expect-error film_idd is not a column of films
        film_id: { tests: [relationships(films, 'film_idd')] },
        // @ts-expect-error unknown column in a where filter
        actor_id: { tests: [unique({ where: (eb) => eb('nope', '=', 1) })] },
      },
    })
    defineSource<Cast>({
      schema: 'raw',
      name: 'film_actors',
      columns: {
        // @ts-expect-error strings are not accepted values of a number column
        film_id: { tests: [acceptedValues(['one'])] },
        // @ts-expect-error unknown column in an expression
        actor_id: { tests: [expression((eb) => eb('actor', '>', 0))] },
      },
      // @ts-expect-error unknown column in a unique combination
      tests: [uniqueCombination(['film_id', 'nope'])],
    })
    defineSource<Film>({
      schema: 'raw',
      name: 'films',
      columns: {
        // @ts-expect-error a threshold is a comparison and a number
        film_id: { tests: [notNull({ warnIf: 'more than 3' })] },
        // @ts-expect-error not a test kind
        title: { tests: ['not_empty'] },
      },
      // @ts-expect-error freshness on a column that does not exist
      tests: [freshness({ column: 'updated_at', warnAfter: '12h' })],
    })
    defineSource<Film>({
      schema: 'raw',
      name: 'films',
      // @ts-expect-error ages are a number and m, h or d: '12h', '2d'
      tests: [freshness({ column: 'released', warnAfter: '12 hours' })],
    })
    defineTest({
      name: 'typed_custom',
      from: { cast },
      // @ts-expect-error custom test queries only see their declared tables
      query: (db) => db.selectFrom('films').selectAll(),
    })
    expect(true).toBe(true)
  })
})
