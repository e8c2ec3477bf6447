import { sql } from 'kysely'
import { defineModel } from '@elt/runner'
import { stgUsers } from '../staging/stg-users.ts'

/**
 * Incremental: each build upserts only users with a user_id above the largest already present
 * (`--full-refresh` rebuilds it). One row per user.
 */
export const userDirectory = defineModel({
  name: 'user_directory',
  materialized: 'incremental',
  description: 'Users with display name and e-mail domain, appended incrementally.',
  tags: ['marts', 'incremental'],
  from: { users: stgUsers },
  query: (db) =>
    db.selectFrom('users').select((eb) => [
      'user_id',
      sql<string>`concat_ws(' ', ${eb.ref('first_name')}, ${eb.ref('last_name')})`.as('full_name'),
      'email',
      sql<string | null>`lower(nullif(split_part(${eb.ref('email')}, '@', 2), ''))`.as('email_domain'),
      sql<number | null>`extract(year from ${eb.ref('date_of_birth')})::int`.as('birth_year'),
    ]),
  incremental: { uniqueKey: ['user_id'], newerThan: 'user_id' },
  columns: {
    user_id: { description: 'Primary key.', tests: ['not_null', 'unique'] },
  },
  file: import.meta.filename,
})
