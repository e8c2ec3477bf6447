import type pg from 'pg'

/**
 * Runs `work` in a transaction on `client`, rolling back on any error.
 *
 * ```sql
 * begin; <work>; commit;   -- or rollback
 * ```
 */
export async function inTransaction<T>(client: pg.ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query('begin')
  try {
    const result = await work()
    await client.query('commit')
    return result
  } catch (error) {
    await client.query('rollback').catch(() => {})
    throw error
  }
}
