import type pg from 'pg'
import { EltError, ExitCode, qualifiedName } from '@elt/core'

/**
 * Refuses a source that cannot feed change data capture, saying what to change: `wal_level`
 * other than `logical`, a table that does not exist, a table without a primary key whose
 * replica identity is not `FULL` (its updates and deletes could not be matched to a row).
 *
 * ```sql
 * show wal_level
 * select c.relreplident, exists (select from pg_index i where i.indrelid = c.oid and i.indisprimary) from pg_class c where c.oid = to_regclass($1)
 * ```
 */
export async function checkCdcSource(client: pg.ClientBase, sourceName: string, tables: readonly string[]): Promise<void> {
  const { rows: level } = await client.query<{ wal_level: string }>('show wal_level')
  if (level[0]?.wal_level !== 'logical') {
    throw new EltError(`Source "${sourceName}" runs with wal_level=${level[0]?.wal_level ?? 'unknown'}; change data capture (strategy 'cdc') needs wal_level=logical.`, {
      hint: 'On the source server run ALTER SYSTEM SET wal_level = logical; then restart it (wal_level is read at start). It also needs max_replication_slots and max_wal_senders above 0. The embedded default server starts with wal_level=logical when the config has cdc tables: stop the other elt processes using it so that it restarts.',
      exitCode: ExitCode.usage,
    })
  }
  for (const table of tables) {
    const [schema, name] = splitTableName(table)
    const { rows } = await client.query<{ ident: string; pk: boolean }>(
      `select c.relreplident as ident, exists (select from pg_index i where i.indrelid = c.oid and i.indisprimary) as pk
       from pg_class c where c.oid = to_regclass($1)`,
      [qualifiedName(schema, name)],
    )
    const row = rows[0]
    if (!row) {
      throw new EltError(`The cdc table ${table} of source "${sourceName}" does not exist.`, { hint: 'Fix replicate.tables in elt.config.ts.', exitCode: ExitCode.usage })
    }
    const identified = row.ident === 'f' || row.ident === 'i' || (row.ident === 'd' && row.pk)
    if (!identified) {
      throw new EltError(`The cdc table ${table} of source "${sourceName}" has no primary key and its replica identity is not FULL, so its updates and deletes cannot be matched to rows.`, {
        hint: `Add a primary key, or on the source run: ALTER TABLE ${qualifiedName(schema, name)} REPLICA IDENTITY FULL;`,
        exitCode: ExitCode.usage,
      })
    }
  }
}

/** `public.accounts` → `['public', 'accounts']`; a bare name is in `public`. */
export function splitTableName(table: string): [string, string] {
  const dot = table.indexOf('.')
  return dot < 0 ? ['public', table] : [table.slice(0, dot), table.slice(dot + 1)]
}
