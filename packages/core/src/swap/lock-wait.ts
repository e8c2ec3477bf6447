import type pg from 'pg'
import { EltError } from '../elt-error.ts'
import { sleep } from '../retry.ts'

/** How long a step that needs an exclusive lock (a swap) may wait for other sessions. */
export interface LockWaitPolicy {
  /** `lock_timeout` of each attempt, in ms. */
  lockTimeoutMs: number
  /** Attempts after the first one. */
  retries: number
  /** Pause before the first retry, in ms, doubled after each one (capped at 8 s): readers queued behind the swap get through. */
  backoffMs: number
}

/** At most 7 waits of 1 s plus pauses: about 30 s in all before giving up. */
export const defaultLockWaitPolicy: LockWaitPolicy = { lockTimeoutMs: 1000, retries: 6, backoffMs: 500 }

/** A session holding a lock on one of the relations a step needed. */
export interface LockHolder {
  pid: number
  applicationName: string | null
  user: string | null
  state: string | null
  queryStart: Date | null
  relation: string
  mode: string
}

const lockCodes = new Set(['55P03', '40P01']) // lock_not_available (lock_timeout), deadlock_detected
const isLockConflict = (error: unknown) => lockCodes.has((error as { code?: string } | null)?.code ?? '')

/**
 * Sessions other than this one holding a lock on `relations`, on their partitions, or on tables whose
 * foreign keys reference them (pg_locks + pg_stat_activity).
 *
 * ```sql
 * select a.pid, a.application_name, a.usename, a.state, a.query_start, l.relation, l.mode
 *   from pg_locks l join pg_stat_activity a on a.pid = l.pid where l.granted and l.relation in (…) and l.pid <> pg_backend_pid()
 * ```
 */
export async function lockHolders(client: pg.ClientBase, relations: readonly string[]): Promise<LockHolder[]> {
  const { rows } = await client.query<LockHolder>(
    `with roots as (select to_regclass(r) as oid from unnest($1::text[]) r),
          related as (
            select oid from roots where oid is not null
            union select t.relid from roots, pg_partition_tree(roots.oid) t where roots.oid is not null
            union select con.conrelid from pg_constraint con join roots on con.confrelid = roots.oid where con.contype = 'f'
          )
     select distinct on (l.pid) l.pid, a.application_name as "applicationName", a.usename as "user", a.state,
            a.query_start as "queryStart", format('%I.%I', n.nspname, c.relname) as relation, l.mode
       from pg_locks l left join pg_stat_activity a on a.pid = l.pid
       join pg_class c on c.oid = l.relation join pg_namespace n on n.oid = c.relnamespace
      where l.locktype = 'relation' and l.granted and l.pid <> pg_backend_pid()
        and l.database = (select oid from pg_database where datname = current_database())
        and l.relation in (select oid from related)
      order by l.pid, l.relation`,
    [relations],
  )
  return rows
}

/** `pid 4242 (application "metabase", user "bi_reader", idle in transaction, query started 2026-12-01T14:03:07.120Z) holds AccessShareLock on raw.users` */
export function describeLockHolder(h: LockHolder): string {
  const details = [
    `application ${JSON.stringify(h.applicationName ?? '')}`,
    h.user === null ? null : `user ${JSON.stringify(h.user)}`,
    h.state,
    h.queryStart === null ? null : `query started ${h.queryStart.toISOString()}`,
  ].filter((d) => d !== null)
  return `pid ${h.pid} (${details.join(', ')}) holds ${h.mode} on ${h.relation}`
}

/**
 * Runs `work` (which needs exclusive locks) in a savepoint with a short `lock_timeout`, inside the
 * caller's transaction. When the lock cannot be had in time, it rolls back to the savepoint (only
 * `work` is redone, not what the transaction did before), pauses so readers queued behind it get
 * through, and tries again; after `policy.retries` retries it throws an `EltError` naming the sessions
 * holding locks on `relations()`. Other errors roll back to the savepoint and are rethrown.
 *
 * ```sql
 * SAVEPOINT elt_lock_wait; SET LOCAL lock_timeout = 1000;
 * DROP TABLE "raw"."users"; …                         -- work
 * RELEASE SAVEPOINT elt_lock_wait;                     -- or on 55P03: ROLLBACK TO SAVEPOINT elt_lock_wait, sleep, again
 * ```
 */
export async function withLockWait<T>(
  client: pg.ClientBase,
  options: { what: string; relations: () => readonly string[]; policy?: Partial<LockWaitPolicy> },
  work: () => Promise<T>,
): Promise<T> {
  const policy = { ...defaultLockWaitPolicy, ...options.policy }
  const timeout = Math.max(1, Math.round(policy.lockTimeoutMs))
  const { rows } = await client.query<{ lock_timeout: string }>(`select current_setting('lock_timeout') as lock_timeout`)
  let waitedMs = 0
  for (let attempt = 0; ; attempt++) {
    await client.query(`SAVEPOINT elt_lock_wait; SET LOCAL lock_timeout = ${timeout}`)
    const started = performance.now()
    try {
      const result = await work()
      await client.query('RELEASE SAVEPOINT elt_lock_wait')
      await client.query(`select set_config('lock_timeout', $1, true)`, [rows[0]?.lock_timeout ?? '0'])
      return result
    } catch (error) {
      waitedMs += performance.now() - started
      await client.query('ROLLBACK TO SAVEPOINT elt_lock_wait; RELEASE SAVEPOINT elt_lock_wait').catch(() => {})
      if (!isLockConflict(error)) throw error
      if (attempt >= policy.retries) {
        const holders = await lockHolders(client, options.relations()).catch(() => [])
        const who = holders.length > 0 ? holders.map(describeLockHolder).join('; ') : 'the sessions holding them had ended by the time they were looked up'
        throw new EltError(`Could not ${options.what}: other sessions held locks on it through ${attempt + 1} waits (${(waitedMs / 1000).toFixed(1)} s in all): ${who}.`, {
          hint: `Nothing was changed by this step. Let those sessions finish (or end one with \`select pg_terminate_backend(<pid>)\`), then rerun.`,
          cause: error,
        })
      }
      const pause = Math.min(8000, policy.backoffMs * 2 ** attempt)
      waitedMs += pause
      await sleep(pause)
    }
  }
}
