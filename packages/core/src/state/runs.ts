import { randomUUID } from 'node:crypto'
import os from 'node:os'
import type pg from 'pg'
import { migrate } from './migrate.ts'
import { holdRunLock, markAbandoned, releaseRunLock } from './run-liveness.ts'

/**
 * `abandoned`: the run's process ended (killed, crashed) without recording an outcome;
 * `timed_out`: `elt serve` cancelled it because it overran its schedule's `timeoutSeconds`.
 */
export type RunStatus = 'running' | 'success' | 'error' | 'cancelled' | 'abandoned' | 'timed_out'

/** `_elt.runs`: one row per command invocation (`run`, `replicate`, `build`, `test`). */
const coreMigrations = [
  `create table _elt.runs (
    run_id uuid primary key,
    command text not null,
    target text,
    status text not null check (status in ('running', 'success', 'error', 'cancelled')),
    started_at timestamptz not null default clock_timestamp(),
    finished_at timestamptz,
    pid int,
    message text,
    summary jsonb
  )`,
  `create index runs_started_at on _elt.runs (started_at desc)`,
  // who and where: the process (pid on host, OS user) and what started it (e.g. 'schedule nightly')
  `alter table _elt.runs
     drop constraint runs_status_check,
     add constraint runs_status_check check (status in ('running', 'success', 'error', 'cancelled', 'abandoned')),
     add column host text,
     add column os_user text,
     add column started_by text`,
  // `elt serve` records a run it cancelled for overrunning its schedule's timeoutSeconds
  `alter table _elt.runs
     drop constraint runs_status_check,
     add constraint runs_status_check check (status in ('running', 'success', 'error', 'cancelled', 'abandoned', 'timed_out'))`,
]

export async function migrateCore(client: pg.ClientBase): Promise<void> {
  await migrate(client, 'core', coreMigrations)
}

/** The run id and origin the next `startRun` of this process uses when its caller gives none (see `setRunOrigin`). */
let origin: { runId?: string; startedBy?: string } = {}

/**
 * Sets, for this process, the id of the next run `startRun` records and what started the runs
 * (`schedule nightly`, `api`, `backfill`): `elt serve` starts each run as a child CLI process
 * with `ELT_RUN_ID` / `ELT_STARTED_BY`, and the CLI passes them here once, at its edge. The id is
 * used once (a later `startRun` gets a fresh one); `setRunOrigin({})` clears both.
 *
 * ```ts
 * setRunOrigin({ runId: '6f1c…', startedBy: 'schedule nightly' })
 * await startRun(client, { command: 'run' }) // insert into _elt.runs (run_id, …, started_by) values ('6f1c…', …, 'schedule nightly')
 * ```
 */
export function setRunOrigin(next: { runId?: string; startedBy?: string }): void {
  origin = { ...next }
}

/** The OS user running this process (an empty string where the system has no name for it). */
function osUser(): string {
  try {
    return os.userInfo().username
  } catch {
    return process.env.USER ?? ''
  }
}

/**
 * Records the start of a run and returns its id. The run's liveness lock is taken first (see
 * `holdRunLock`), so its row is never seen `running` without a live holder; runs left
 * `running` by a process that is gone are marked `abandoned` on the way.
 *
 * ```ts
 * const runId = await startRun(client, { command: 'run', target: 'prod' })
 * // select pg_advisory_lock_shared(hashtext('elt:run'), hashtext($1::uuid::text))
 * // update _elt.runs set status = 'abandoned' … where status = 'running' and not exists (…pg_locks…)
 * // insert into _elt.runs (run_id, command, target, status, pid, host, os_user, started_by) values ($1, $2, $3, 'running', $4, $5, $6, $7)
 * ```
 */
export async function startRun(
  client: pg.ClientBase,
  run: { command: string; target?: string; runId?: string; startedBy?: string },
): Promise<string> {
  await migrateCore(client)
  const runId = run.runId ?? origin.runId ?? randomUUID()
  if (run.runId === undefined) origin.runId = undefined // a preset id names one run only
  const startedBy = run.startedBy ?? origin.startedBy
  await holdRunLock(client, runId)
  await markAbandonedRuns(client)
  await client.query(
    `insert into _elt.runs (run_id, command, target, status, pid, host, os_user, started_by) values ($1, $2, $3, 'running', $4, $5, $6, $7)`,
    [runId, run.command, run.target ?? null, process.pid, os.hostname(), osUser(), startedBy ?? null],
  )
  return runId
}

/**
 * Marks `abandoned` every `running` run whose process is gone and returns their ids (see `markAbandoned`).
 *
 * ```sql
 * update "_elt"."runs" r set status = 'abandoned', message = format('…pid %s on %s…', r.pid, r.host, …)
 *  where r.status = 'running' and not exists (…pg_locks…) returning r.run_id
 * ```
 */
export async function markAbandonedRuns(client: pg.ClientBase): Promise<string[]> {
  return markAbandoned(client, 'runs')
}

/**
 * Records how a run ended and releases its liveness lock.
 *
 * ```sql
 * update _elt.runs set status = $2, finished_at = clock_timestamp(), message = $3, summary = $4 where run_id = $1;
 * select pg_advisory_unlock_shared(hashtext('elt:run'), hashtext($1::uuid::text))
 * ```
 */
export async function finishRun(
  client: pg.ClientBase,
  runId: string,
  result: { status: Exclude<RunStatus, 'running' | 'abandoned' | 'timed_out'>; message?: string; summary?: unknown },
): Promise<void> {
  await client.query(
    `update _elt.runs set status = $2, finished_at = clock_timestamp(), message = $3, summary = $4 where run_id = $1`,
    [runId, result.status, result.message ?? null, result.summary === undefined ? null : JSON.stringify(result.summary)],
  )
  await releaseRunLock(client, runId)
}
