import { sql } from 'kysely'
import { defineModel } from '@elt/runner'
import { stgActors } from '../staging/stg-actors.ts'
import { stgFilmActors } from '../staging/stg-film-actors.ts'
import { stgFilms } from '../staging/stg-films.ts'

/** One row per actor, including actors in no film (film_count 0). */
export const actorFilmography = defineModel({
  name: 'actor_filmography',
  materialized: 'table',
  description: "Per-actor filmography: number of films, their average rating and the career span.",
  tags: ['marts'],
  from: { actors: stgActors, filmActors: stgFilmActors, films: stgFilms },
  query: (db) =>
    db
      .selectFrom('actors as a')
      .leftJoin('filmActors as fa', 'fa.actor_id', 'a.actor_id')
      .leftJoin('films as f', 'f.film_id', 'fa.film_id')
      .groupBy(['a.actor_id', 'a.actor_name'])
      .orderBy('a.actor_id')
      .select((eb) => [
        'a.actor_id',
        'a.actor_name',
        eb.fn.count<string>('fa.film_id').as('film_count'),
        sql<string | null>`round(avg(${eb.ref('f.user_rating')}), 2)`.as('avg_user_rating'),
        eb.fn.min('f.release_date').as('first_release_date'),
        eb.fn.max('f.release_date').as('latest_release_date'),
      ]),
  columns: {
    actor_id: { description: 'Primary key.', tests: ['not_null', 'unique'] },
    film_count: { description: 'Films the actor plays in.' },
    avg_user_rating: { description: 'Average user_rating of those films, 2 decimals.' },
  },
  file: import.meta.filename,
})
