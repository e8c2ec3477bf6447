import type pg from 'pg'

/**
 * Sets `search_path` for the rest of the current transaction, so catalog functions
 * (`format_type`, `pg_get_expr`, `pg_get_constraintdef`) name same-schema objects unqualified.
 *
 * ```sql
 * select set_config('search_path', quote_ident($1), true)   -- $1 = 'public'
 * ```
 */
export async function setLocalSearchPath(client: pg.ClientBase, schema: string | null): Promise<void> {
  await client.query(`select set_config('search_path', coalesce(quote_ident($1::text), ''), true)`, [schema])
}
