import { defineModel, relationships, uniqueCombination } from '@elt/runner'
import { raw } from '../sources.ts'
import { stgActors } from './stg-actors.ts'
import { stgFilms } from './stg-films.ts'

/** One row per (film, actor) pair. */
export const stgFilmActors = defineModel({
  name: 'stg_film_actors',
  materialized: 'view',
  description: 'Cast: one row per actor of a film.',
  tags: ['staging'],
  from: { filmActors: raw.filmActors },
  query: (db) => db.selectFrom('filmActors').select(['film_id', 'actor_id']),
  columns: {
    film_id: { description: 'The film.', tests: ['not_null', relationships(stgFilms, 'film_id')] },
    actor_id: { description: 'The actor.', tests: ['not_null', relationships(stgActors, 'actor_id')] },
  },
  tests: [uniqueCombination(['film_id', 'actor_id'])],
  file: import.meta.filename,
})
