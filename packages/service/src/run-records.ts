import os from 'node:os'
import type pg from 'pg'
import { migrateCore } from '@elt/core'

/**
 * Completes `_elt.runs` for a child run after its process ended, where the child could not:
 * a run cancelled for overrunning is `timed_out`; a run killed (or crashed) while `running` gets
 * the service's outcome; a child that ended before recording its run (a bad selection, a usage
 * error, a crash at start) gets a row, so every queued run leaves one.
 *
 * ```sql
 * update _elt.runs set status = $2, finished_at = coalesce(finished_at, clock_timestamp()), message = coalesce($3, message)
 *  where run_id = $1 and (status = 'running' or $2 = 'timed_out' and status <> 'success');
 * insert into _elt.runs (run_id, command, status, started_at, finished_at, pid, host, os_user, started_by, message)
 *   values (…) on conflict (run_id) do nothing
 * ```
 */
export async function completeRunRecord(
  client: pg.ClientBase,
  run: { runId: string; command: string; target?: string; status: string; startedAt: Date; pid?: number; startedBy: string; message?: string },
): Promise<void> {
  await migrateCore(client)
  await client.query(
    `update _elt.runs set status = $2, finished_at = coalesce(finished_at, clock_timestamp()), message = coalesce($3, message)
      where run_id = $1 and (status = 'running' or ($2 = 'timed_out' and status <> 'success'))`,
    [run.runId, run.status, run.message ?? null],
  )
  await client.query(
    `insert into _elt.runs (run_id, command, target, status, started_at, finished_at, pid, host, os_user, started_by, message)
     values ($1, $2, $3, $4, $5, clock_timestamp(), $6, $7, $8, $9, $10) on conflict (run_id) do nothing`,
    [run.runId, run.command, run.target ?? null, run.status, run.startedAt, run.pid ?? null, os.hostname(), os.userInfo().username, run.startedBy, run.message ?? null],
  )
}
