import pg from 'pg'

/**
 * Opens the coordinator's transaction and exports its snapshot; every worker imports it,
 * so all tables are read as of the same instant. Keep `client` open (and idle in that
 * transaction) until every table is copied.
 *
 * ```sql
 * BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot()
 * ```
 */
export async function exportSnapshot(client: pg.ClientBase): Promise<string> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
  const { rows } = await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id')
  return rows[0]?.id as string
}

/**
 * Starts a worker's read transaction on the exported snapshot (`SET TRANSACTION SNAPSHOT`
 * takes no bind parameter, so the id is passed as an escaped literal).
 *
 * ```sql
 * BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '00000003-0000001B-1'
 * ```
 */
export async function importSnapshot(client: pg.ClientBase, snapshotId: string): Promise<void> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
  await client.query(`SET TRANSACTION SNAPSHOT ${pg.escapeLiteral(snapshotId)}`)
}
