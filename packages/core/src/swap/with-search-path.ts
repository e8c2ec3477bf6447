import type pg from 'pg'

/**
 * Runs `fn` with `search_path` set to `path` for the caller's transaction, then puts the previous
 * value back: catalog functions (`pg_get_viewdef`, `pg_get_expr`) then qualify every name not on
 * `path` — with `''`, every name. Call it inside a transaction.
 *
 * ```sql
 * select current_setting('search_path'); select set_config('search_path', '', true);
 * …  -- fn
 * select set_config('search_path', '"$user", public', true);
 * ```
 */
export async function withSearchPath<T>(client: pg.ClientBase, path: string, fn: () => Promise<T>): Promise<T> {
  const { rows } = await client.query<{ previous: string }>(`select current_setting('search_path') as previous`)
  const restore = () => client.query(`select set_config('search_path', $1, true)`, [rows[0]?.previous ?? ''])
  await client.query(`select set_config('search_path', $1, true)`, [path])
  let result: T
  try {
    result = await fn()
  } catch (error) {
    await restore().catch(() => {}) // fails when `fn` aborted the transaction: keep fn's error
    throw error
  }
  await restore()
  return result
}
