import { defineModel } from '@elt/runner'
import { raw } from '../sources.ts'

/** One row per film, columns as in the source. */
export const stgFilms = defineModel({
  name: 'stg_films',
  materialized: 'view',
  description: 'Films, one row per film.',
  tags: ['staging'],
  from: { films: raw.films },
  query: (db) => db.selectFrom('films').select(['film_id', 'title', 'release_date', 'price', 'rating', 'user_rating']),
  columns: {
    film_id: { description: 'Primary key.', tests: ['not_null', 'unique'] },
    title: { description: 'Title, any Unicode.' },
    user_rating: { description: 'Average user rating, 1.0–5.0; NULL when unrated.' },
  },
  file: import.meta.filename,
})
