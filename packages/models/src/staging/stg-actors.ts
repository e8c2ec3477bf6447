import { defineModel } from '@elt/runner'
import { raw } from '../sources.ts'

/** One row per actor. */
export const stgActors = defineModel({
  name: 'stg_actors',
  materialized: 'view',
  description: 'Actors, one row per actor (names are not unique).',
  tags: ['staging'],
  from: { actors: raw.actors },
  query: (db) => db.selectFrom('actors').select(['actor_id', 'actor_name']),
  columns: {
    actor_id: { description: 'Primary key.', tests: ['not_null', 'unique'] },
    actor_name: { description: 'Display name.' },
  },
  file: import.meta.filename,
})
