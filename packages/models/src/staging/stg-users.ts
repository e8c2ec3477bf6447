import { defineModel } from '@elt/runner'
import { raw } from '../sources.ts'

/** One row per user; `id` renamed to `user_id` so joins read clearly. */
export const stgUsers = defineModel({
  name: 'stg_users',
  materialized: 'view',
  description: 'Users, one row per user.',
  tags: ['staging'],
  from: { users: raw.users },
  query: (db) => db.selectFrom('users').select(['id as user_id', 'first_name', 'last_name', 'email', 'date_of_birth']),
  columns: {
    user_id: { description: 'Primary key (source column `id`).', tests: ['not_null', 'unique'] },
    email: { description: 'E-mail address; NULL when unknown.' },
  },
  file: import.meta.filename,
})
