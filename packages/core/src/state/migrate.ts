import type pg from 'pg'

/** The schema holding the tool's own state in the destination. */
export const stateSchema = '_elt'

/**
 * Applies the not-yet-applied `migrations` of one component (e.g. `'extract-load'`)
 * to the destination's `_elt` schema. Versions are the 1-based positions in the list:
 * append, never edit. Safe under concurrency (advisory lock) and idempotent.
 *
 * ```ts
 * await migrate(client, 'runner', ['create table _elt.model_results (…)'])
 * // create schema if not exists "_elt"; create table if not exists "_elt"."schema_versions" (…)
 * // select version from "_elt"."schema_versions" where component = $1
 * ```
 */
export async function migrate(client: pg.ClientBase, component: string, migrations: readonly string[]): Promise<void> {
  await client.query('begin')
  try {
    await client.query(`select pg_advisory_xact_lock(hashtext('elt:migrate'))`)
    await client.query(`create schema if not exists "${stateSchema}"`)
    await client.query(`create table if not exists "${stateSchema}"."schema_versions" (
      component text not null,
      version int not null,
      applied_at timestamptz not null default now(),
      primary key (component, version)
    )`)
    const { rows } = await client.query<{ version: number }>(
      `select coalesce(max(version), 0)::int as version from "${stateSchema}"."schema_versions" where component = $1`,
      [component],
    )
    const current = rows[0]?.version ?? 0
    for (let i = current; i < migrations.length; i++) {
      await client.query(migrations[i] as string)
      await client.query(`insert into "${stateSchema}"."schema_versions" (component, version) values ($1, $2)`, [component, i + 1])
    }
    await client.query('commit')
  } catch (error) {
    await client.query('rollback').catch(() => {})
    throw error
  }
}
