import { sql } from 'kysely'
import { collectProject, defineModel, defineSource } from '../src/index.ts'

/** A small films project used by the runner's tests (raw tables created by `rawDdl`). */
export interface Film {
  film_id: number
  title: string
  user_rating: string | null
}
export interface FilmActor {
  film_id: number
  actor_id: number
}

export const films = defineSource<Film>({ schema: 'raw', name: 'films' })
export const filmActors = defineSource<FilmActor>({ schema: 'raw', name: 'film_actors' })

export const stgFilms = defineModel({
  name: 'stg_films',
  tags: ['staging'],
  from: { films },
  query: (db) => db.selectFrom('films').select(['film_id', 'title', 'user_rating']),
})
export const stgFilmActors = defineModel({
  name: 'stg_film_actors',
  tags: ['staging'],
  from: { filmActors },
  query: (db) => db.selectFrom('filmActors').select(['film_id', 'actor_id']),
})
export const castSize = defineModel({
  name: 'cast_size',
  materialized: 'ephemeral',
  from: { fa: stgFilmActors },
  query: (db) => db.selectFrom('fa').groupBy('film_id').select((eb) => ['film_id', eb.fn.countAll<string>().as('n')]),
})
export const filmSummary = defineModel({
  name: 'film_summary',
  materialized: 'table',
  tags: ['marts'],
  from: { films: stgFilms, cast: castSize },
  query: (db) =>
    db
      .selectFrom('films')
      .leftJoin('cast', 'cast.film_id', 'films.film_id')
      .select((eb) => ['films.film_id', 'films.title', eb.fn.coalesce('cast.n', sql<string>`0`).as('actors')]),
})
export const topFilms = defineModel({
  name: 'top_films',
  tags: ['marts'],
  from: { s: filmSummary, f: stgFilms },
  query: (db) =>
    db
      .selectFrom('s')
      .innerJoin('f', 'f.film_id', 's.film_id')
      .where('f.user_rating', '>=', '4.0')
      .select(['s.film_id', 's.title', 's.actors']),
})

export const project = () => collectProject({ stgFilms, stgFilmActors, castSize, filmSummary, topFilms })

export const rawDdl = `
  create schema raw;
  create table raw.films (film_id int primary key, title text not null, user_rating numeric(2,1));
  create table raw.film_actors (film_id int, actor_id int, primary key (film_id, actor_id));
  insert into raw.films values (1, 'Alpha', 4.5), (2, 'Beta', 3.0), (3, 'Gamma', null), (4, 'Delta', 4.1);
  insert into raw.film_actors values (1, 10), (1, 11), (2, 10), (4, 12);
`
