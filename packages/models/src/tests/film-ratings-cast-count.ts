import { defineTest } from '@elt/runner'
import { filmRatings } from '../marts/film-ratings.ts'
import { stgFilmActors } from '../staging/stg-film-actors.ts'

/**
 * Custom data test: every film's `actor_count` in film_ratings equals its number of rows in
 * stg_film_actors (0 for films without actors). Each returned row is a failure.
 *
 * ```sql
 * select "ratings"."film_id", "ratings"."actor_count", count("cast"."actor_id") as "cast_rows"
 * from "analytics"."film_ratings" as "ratings" left join "analytics"."stg_film_actors" as "cast" on "cast"."film_id" = "ratings"."film_id"
 * group by "ratings"."film_id", "ratings"."actor_count" having "ratings"."actor_count" <> count("cast"."actor_id")
 * ```
 */
export const filmRatingsCastCount = defineTest({
  name: 'film_ratings_actor_count_matches_cast',
  description: "film_ratings.actor_count equals the film's rows in stg_film_actors.",
  from: { ratings: filmRatings, cast: stgFilmActors },
  tags: ['marts'],
  query: (db) =>
    db
      .selectFrom('ratings')
      .leftJoin('cast', 'cast.film_id', 'ratings.film_id')
      .groupBy(['ratings.film_id', 'ratings.actor_count'])
      .select((eb) => ['ratings.film_id', 'ratings.actor_count', eb.fn.count('cast.actor_id').as('cast_rows')])
      .having((eb) => eb('ratings.actor_count', '<>', eb.fn.count<string>('cast.actor_id'))),
})
