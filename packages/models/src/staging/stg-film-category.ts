import { defineModel, relationships } from '@elt/runner'
import { raw } from '../sources.ts'
import { stgFilms } from './stg-films.ts'

/** One row per (film, category). */
export const stgFilmCategory = defineModel({
  name: 'stg_film_category',
  materialized: 'view',
  description: 'Film categories: one row per category of a film.',
  tags: ['staging'],
  from: { filmCategory: raw.filmCategory },
  query: (db) => db.selectFrom('filmCategory').select(['category_id', 'film_id', 'category_name']),
  columns: {
    category_id: { description: 'Primary key.', tests: ['not_null', 'unique'] },
    film_id: { description: 'The film.', tests: [relationships(stgFilms, 'film_id')] },
    category_name: { description: 'Category, e.g. Drama.' },
  },
  file: import.meta.filename,
})
