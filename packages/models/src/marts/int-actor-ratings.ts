import { defineModel } from '@elt/runner'
import { stgFilmActors } from '../staging/stg-film-actors.ts'
import { stgFilms } from '../staging/stg-films.ts'

/**
 * Each actor's average user rating across all their films (NULL ratings ignored; NULL when
 * none of their films is rated). Ephemeral: inlined as a CTE into the models that read it.
 */
export const intActorRatings = defineModel({
  name: 'int_actor_ratings',
  materialized: 'ephemeral',
  description: "Each actor's average user_rating across their films (unrounded).",
  tags: ['intermediate'],
  from: { filmActors: stgFilmActors, films: stgFilms },
  query: (db) =>
    db
      .selectFrom('filmActors as fa')
      .innerJoin('films as f', 'f.film_id', 'fa.film_id')
      .groupBy('fa.actor_id')
      .select((eb) => ['fa.actor_id', eb.fn.avg<string | null>('f.user_rating').as('avg_user_rating')]),
  file: import.meta.filename,
})
