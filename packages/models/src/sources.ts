import { defineSource, freshness } from '@elt/runner'
import type { RawActors, RawFilmActors, RawFilmCategory, RawFilms, RawUsers } from './generated/raw-schema.ts'

/**
 * The replicated source tables in the destination's `raw` schema. Row types come from
 * `generated/raw-schema.ts` (`pnpm elt codegen`); column docs and source tests live here.
 */
export const raw = {
  films: defineSource<RawFilms>({
    schema: 'raw',
    name: 'films',
    description: 'Films of the catalogue, replicated from the source database.',
    columns: { film_id: { description: 'Primary key.' } },
    // No timestamp column in the seed: the age is the time since `elt replicate` last loaded the table.
    tests: [freshness({ warnAfter: '1d', errorAfter: '7d' })],
  }),
  actors: defineSource<RawActors>({
    schema: 'raw',
    name: 'actors',
    description: 'Actors; two different actors may share a name.',
    columns: { actor_id: { description: 'Primary key.' } },
  }),
  filmActors: defineSource<RawFilmActors>({
    schema: 'raw',
    name: 'film_actors',
    description: 'Which actor plays in which film (one row per pair).',
  }),
  filmCategory: defineSource<RawFilmCategory>({
    schema: 'raw',
    name: 'film_category',
    description: 'Categories of films; a film may have several or none.',
  }),
  users: defineSource<RawUsers>({
    schema: 'raw',
    name: 'users',
    description: 'Users of the rating site.',
    columns: { id: { description: 'Primary key.' } },
  }),
}
