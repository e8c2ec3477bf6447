import { sql } from 'kysely'
import { defineModel } from '@elt/runner'
import { stgFilmCategory } from '../staging/stg-film-category.ts'
import { filmRatings } from './film-ratings.ts'

/** One row per category, built on film_ratings (so the graph has depth). */
export const categoryStats = defineModel({
  name: 'category_stats',
  materialized: 'view',
  description: 'Per-category statistics: films, average rating and price, share of excellent films.',
  tags: ['marts'],
  from: { filmCategory: stgFilmCategory, filmRatings },
  query: (db) =>
    db
      .selectFrom('filmCategory as fc')
      .innerJoin('filmRatings as fr', 'fr.film_id', 'fc.film_id')
      .groupBy('fc.category_name')
      .select((eb) => [
        'fc.category_name',
        eb.fn.count<string>('fr.film_id').distinct().as('film_count'),
        sql<string | null>`round(avg(${eb.ref('fr.user_rating')}), 2)`.as('avg_user_rating'),
        sql<string | null>`round(avg(${eb.ref('fr.price')}), 2)`.as('avg_price'),
        sql<string>`count(*) filter (where ${eb.ref('fr.rating_category')} = 'Excellent')`.as('excellent_films'),
      ]),
  columns: {
    category_name: { description: 'Category.', tests: ['not_null', 'unique'] },
  },
  file: import.meta.filename,
})
