import type pg from 'pg'
import { qualifiedName } from '../sql-ident.ts'
import { stateSchema } from './migrate.ts'

/**
 * Whether a run's process is still alive, told by PostgreSQL itself: the process holds a shared
 * session advisory lock keyed by its run id for its whole life. A killed or crashed process
 * loses its connections, so the server drops the lock; `pg_locks` then shows no holder. This
 * works across hosts and cannot be fooled by a reused pid (the pid and host recorded with the
 * run are for people). Shared, so the CLI and the library it calls may both hold it.
 *
 * Keys: the two-int form `(hashtext('elt:run'), hashtext(<run id>))`, shown in `pg_locks` as
 * `classid`, `objid` with `objsubid = 2`.
 */

/**
 * Holds the run's liveness lock on this session until `releaseRunLock` or the session ends.
 *
 * ```sql
 * select pg_advisory_lock_shared(hashtext('elt:run'), hashtext($1::uuid::text))
 * ```
 */
export async function holdRunLock(client: pg.ClientBase, runId: string): Promise<void> {
  await client.query(`select pg_advisory_lock_shared(hashtext('elt:run'), hashtext($1::uuid::text))`, [runId])
}

/**
 * Releases the run's liveness lock taken by `holdRunLock` on this session.
 *
 * ```sql
 * select pg_advisory_unlock_shared(hashtext('elt:run'), hashtext($1::uuid::text))
 * ```
 */
export async function releaseRunLock(client: pg.ClientBase, runId: string): Promise<void> {
  await client.query(`select pg_advisory_unlock_shared(hashtext('elt:run'), hashtext($1::uuid::text))`, [runId])
}

/**
 * An SQL condition, true while some session of this database holds the liveness lock of the run
 * whose id is the SQL expression `runIdSql` (a column reference written by the caller, never input);
 * with `heldByPidSql`, only a lock held by that backend counts.
 *
 * ```ts
 * runAliveSql('r.run_id')
 * // exists (select 1 from pg_catalog.pg_locks l where l.locktype = 'advisory' and l.granted
 * //   and l.database = (select oid from pg_catalog.pg_database where datname = current_database())
 * //   and l.classid = hashtext('elt:run')::oid and l.objid = hashtext(r.run_id::text)::oid and l.objsubid = 2)
 * ```
 */
export function runAliveSql(runIdSql: string, heldByPidSql?: string): string {
  const byPid = heldByPidSql === undefined ? '' : ` and l.pid = ${heldByPidSql}`
  return `exists (select 1 from pg_catalog.pg_locks l where l.locktype = 'advisory' and l.granted${byPid}
    and l.database = (select oid from pg_catalog.pg_database where datname = current_database())
    and l.classid = hashtext('elt:run')::oid and l.objid = hashtext((${runIdSql})::text)::oid and l.objsubid = 2)`
}

/**
 * The status a reader should show for a run recorded with `statusSql` and id `runIdSql`: a
 * `running` run whose process is gone is `abandoned`. Needs no write, so read-only sessions
 * (the dashboard) show the truth before the next run records it.
 *
 * ```ts
 * effectiveRunStatusSql('r.status', 'r.run_id')
 * // case when r.status = 'running' and not exists (…pg_locks…) then 'abandoned' else r.status end
 * ```
 */
export function effectiveRunStatusSql(statusSql: string, runIdSql: string): string {
  return `case when ${statusSql} = 'running' and not ${runAliveSql(runIdSql)} then 'abandoned' else ${statusSql} end`
}

/**
 * Marks `abandoned` every `running` record of `_elt.<table>` (a table with `run_id`, `status`,
 * `pid`, `host` and `message`: `runs`, `replications`) whose process is gone, and returns their
 * ids. `finished_at` stays empty: when the process died is not known.
 *
 * ```ts
 * await markAbandoned(client, 'replications')
 * // update "_elt"."replications" r set status = 'abandoned', message = format('Its process (pid %s on %s) ended …', r.pid, r.host, …)
 * //  where r.status = 'running' and not exists (…pg_locks…) returning r.run_id
 * ```
 */
export async function markAbandoned(client: pg.ClientBase, table: string): Promise<string[]> {
  const { rows } = await client.query<{ run_id: string }>(
    `update ${qualifiedName(stateSchema, table)} r set status = 'abandoned',
            message = format('Its process (pid %s on %s) ended without recording an outcome (killed or crashed); found at %s.',
                             coalesce(r.pid::text, '?'), coalesce(r.host, 'an unknown host'),
                             to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'))
      where r.status = 'running' and not ${runAliveSql('r.run_id')}
      returning r.run_id::text`,
  )
  return rows.map((row) => row.run_id)
}
