import { sql } from 'kysely'
import { acceptedRange, acceptedValues, defineModel } from '@elt/runner'
import { stgActors } from '../staging/stg-actors.ts'
import { stgFilmActors } from '../staging/stg-film-actors.ts'
import { stgFilms } from '../staging/stg-films.ts'
import { intActorRatings } from './int-actor-ratings.ts'

/**
 * One row per film with its rating category, cast and the cast's average rating.
 *
 * - `rating_category`: 'Excellent' (user_rating ≥ 4.5), 'Good' (≥ 4.0), 'Average' (≥ 3.0), 'Poor', 'Unrated' (NULL).
 * - `actors`: actor names joined with ', ' in name order (byte order, `collate "C"`, so the result
 *   does not depend on the server's locale); NULL when the film has no actors.
 * - `actor_count`: bigint, 0 when none.
 * - `avg_actor_rating`: mean over the film's actors of each actor's average user_rating across all
 *   their films, rounded to 2 decimals; NULL when the film has no actors (or none of them is rated).
 */
export const filmRatings = defineModel({
  name: 'film_ratings',
  materialized: 'table',
  description: 'One row per film: ratings, rating category and cast statistics.',
  tags: ['marts'],
  from: { films: stgFilms, filmActors: stgFilmActors, actors: stgActors, actorRatings: intActorRatings },
  query: (db) =>
    db
      .with('cast_stats', (qc) =>
        qc
          .selectFrom('filmActors as fa')
          .innerJoin('actors as a', 'a.actor_id', 'fa.actor_id')
          .leftJoin('actorRatings as ar', 'ar.actor_id', 'fa.actor_id')
          .groupBy('fa.film_id')
          .select((eb) => [
            'fa.film_id',
            sql<string | null>`string_agg(${eb.ref('a.actor_name')}, ', ' order by ${eb.ref('a.actor_name')} collate "C")`.as('actors'),
            eb.fn.countAll<string>().as('actor_count'),
            sql<string | null>`round(avg(${eb.ref('ar.avg_user_rating')}), 2)`.as('avg_actor_rating'),
          ]),
      )
      .selectFrom('films as f')
      .leftJoin('cast_stats as c', 'c.film_id', 'f.film_id')
      .orderBy('f.film_id')
      .select((eb) => [
        'f.film_id',
        'f.title',
        'f.release_date',
        'f.price',
        'f.rating',
        'f.user_rating',
        eb
          .case()
          .when('f.user_rating', 'is', null)
          .then(sql<string>`'Unrated'`)
          .when('f.user_rating', '>=', '4.5')
          .then(sql<string>`'Excellent'`)
          .when('f.user_rating', '>=', '4.0')
          .then(sql<string>`'Good'`)
          .when('f.user_rating', '>=', '3.0')
          .then(sql<string>`'Average'`)
          .else(sql<string>`'Poor'`)
          .end()
          .as('rating_category'),
        'c.actors',
        eb.fn.coalesce('c.actor_count', sql<string>`0`).as('actor_count'),
        'c.avg_actor_rating',
      ]),
  columns: {
    film_id: { description: 'Primary key.', tests: ['not_null', 'unique'] },
    rating_category: {
      description: "'Excellent', 'Good', 'Average', 'Poor' or 'Unrated'.",
      tests: ['not_null', acceptedValues(['Excellent', 'Good', 'Average', 'Poor', 'Unrated'])],
    },
    user_rating: { description: 'Average user rating, 1.0–5.0; NULL when unrated.', tests: [acceptedRange({ min: 1, max: 5 })] },
    actors: { description: "Actor names joined with ', ' in name order; NULL without actors." },
    actor_count: { description: 'Number of actors (0 when none).' },
    avg_actor_rating: { description: "Mean of the actors' own average ratings, 2 decimals; NULL without actors." },
  },
  file: import.meta.filename,
})
