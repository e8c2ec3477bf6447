import type pg from 'pg'
import { EltError, ExitCode } from '../elt-error.ts'
import { sleep } from '../retry.ts'
import { migrateCore } from './runs.ts'
import { runAliveSql } from './run-liveness.ts'

/** Who holds a target's write lock: the run (when it has started one) and the session. */
export interface TargetLockHolder {
  /** The holder's `_elt.runs` record; absent while it has not started its run (or for a session that is not a run). */
  run?: {
    runId: string
    command: string
    target: string | null
    startedAt: Date
    pid: number | null
    host: string | null
    osUser: string | null
    startedBy: string | null
  }
  /** The holder's PostgreSQL session. */
  backendPid: number
  applicationName: string | null
  backendStart: Date | null
}

export interface TargetLockOptions {
  /** Wait for the holder to finish instead of failing at once. Default false. */
  wait?: boolean
  /** Stops waiting (throws the signal's reason). */
  signal?: AbortSignal
  /** Called when waiting starts and each time another run holds the lock. */
  onWait?: (holder: TargetLockHolder) => void
  /** What to do, appended to the error when not waiting. */
  hint?: string
  /** How often a waiting run retries, in milliseconds. Default 500. */
  pollMs?: number
}

/** The lock's keys as SQL (two-int form): `(hashtext('elt:target'), hashtext($1))`. */
const lockKeys = `hashtext('elt:target'), hashtext($1)`

/**
 * Takes the write lock of a destination target (a schema such as `analytics`) on this session
 * for the whole run, so two runs never write it at once. Without `wait`, a second run fails at
 * once (exit 1) with one paragraph naming the run that holds it; with `wait`, it retries until
 * the holder ends (its lock goes away with its session, even when it is killed). Call it before
 * `startRun` on the session that then starts the run, so holders can be named. The lock ends
 * with the session, or with the returned `release`.
 *
 * ```ts
 * const release = await lockTarget(client, 'analytics', { wait: true, onWait: (h) => log(describeTargetLockHolder(h)) })
 * // select pg_try_advisory_lock(hashtext('elt:target'), hashtext($1))       -- $1 = 'analytics'
 * // (held elsewhere) select … from pg_locks join _elt.runs … where … objid = hashtext($1)::oid …
 * ```
 */
export async function lockTarget(client: pg.ClientBase, target: string, options: TargetLockOptions = {}): Promise<() => Promise<void>> {
  await migrateCore(client)
  let lastHolder: string | undefined
  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason
    const { rows } = await client.query<{ ok: boolean }>(`select pg_try_advisory_lock(${lockKeys}) as ok`, [target])
    if (rows[0]?.ok === true) {
      return async () => {
        await client.query(`select pg_advisory_unlock(${lockKeys})`, [target])
      }
    }
    let holder = await readTargetLockHolder(client, target)
    // a holder between taking the lock and recording its run: give it a moment, to name the run
    for (let i = 0; i < 10 && holder && !holder.run; i++) {
      await sleep(100)
      holder = await readTargetLockHolder(client, target)
    }
    if (!holder) continue // released meanwhile: try again
    if (!options.wait) {
      throw new EltError(`The target "${target}" is locked: ${describeTargetLockHolder(holder)}.`, {
        hint: options.hint ?? 'Wait for that run to finish, then rerun.',
        exitCode: ExitCode.failure,
      })
    }
    const key = `${holder.backendPid}:${holder.run?.runId ?? ''}`
    if (key !== lastHolder) options.onWait?.(holder)
    lastHolder = key
    await sleep(options.pollMs ?? 500)
  }
}

/**
 * The session holding a target's write lock and the run it started (if any); undefined when
 * nobody holds it. The run is the one whose liveness lock the same session holds.
 *
 * ```sql
 * select l.pid, a.application_name, a.backend_start, r.* from pg_locks l
 *   left join pg_stat_activity a on a.pid = l.pid
 *   left join lateral (select … from _elt.runs r where r.status = 'running' and <r's liveness lock held by l.pid> …) r on true
 *  where l.locktype = 'advisory' and l.granted and l.classid = hashtext('elt:target')::oid and l.objid = hashtext($1)::oid and l.objsubid = 2
 * ```
 */
export async function readTargetLockHolder(client: pg.ClientBase, target: string): Promise<TargetLockHolder | undefined> {
  const { rows } = await client.query<{
    backend_pid: number
    application_name: string | null
    backend_start: Date | null
    run_id: string | null
    command: string
    target: string | null
    started_at: Date
    pid: number | null
    host: string | null
    os_user: string | null
    started_by: string | null
  }>(
    `select h.pid as backend_pid, a.application_name, a.backend_start,
            r.run_id::text, r.command, r.target, r.started_at, r.pid, r.host, r.os_user, r.started_by
       from pg_catalog.pg_locks h
       left join pg_catalog.pg_stat_activity a on a.pid = h.pid
       left join lateral (
         select r.* from _elt.runs r where r.status = 'running' and ${runAliveSql('r.run_id', 'h.pid')} order by r.started_at desc limit 1
       ) r on true
      where h.locktype = 'advisory' and h.granted and h.objsubid = 2
        and h.database = (select oid from pg_catalog.pg_database where datname = current_database())
        and h.classid = hashtext('elt:target')::oid and h.objid = hashtext($1)::oid
      limit 1`,
    [target],
  )
  const row = rows[0]
  if (!row) return undefined
  return {
    backendPid: row.backend_pid,
    applicationName: row.application_name,
    backendStart: row.backend_start,
    ...(row.run_id === null
      ? {}
      : {
          run: {
            runId: row.run_id,
            command: row.command,
            target: row.target,
            startedAt: row.started_at,
            pid: row.pid,
            host: row.host,
            osUser: row.os_user,
            startedBy: row.started_by,
          },
        }),
  }
}

const utc = (date: Date) => `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`

/**
 * One clause naming a lock holder, e.g. `held by run 3f0c…-… (build, target prod, schedule nightly)
 * started 2026-12-01 14:05:03 UTC by alice on host etl-1 (pid 4242)`.
 */
export function describeTargetLockHolder(holder: TargetLockHolder): string {
  const run = holder.run
  if (!run) {
    const app = holder.applicationName ? ` "${holder.applicationName}"` : ''
    const since = holder.backendStart ? ` connected since ${utc(holder.backendStart)}` : ''
    return `held by database session ${holder.backendPid}${app}${since}, which has not recorded a run yet`
  }
  const what = [run.command, run.target ? `target ${run.target}` : undefined, run.startedBy ?? undefined].filter(Boolean).join(', ')
  const who = [run.osUser ? `by ${run.osUser}` : undefined, run.host ? `on host ${run.host}` : undefined, run.pid === null ? undefined : `(pid ${run.pid})`]
  return `held by run ${run.runId} (${what}) started ${[utc(run.startedAt), ...who].filter(Boolean).join(' ')}`
}
