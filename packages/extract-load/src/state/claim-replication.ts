import os from 'node:os'
import type pg from 'pg'
import { holdRunLock, markAbandoned } from '@elt/core'

/**
 * Takes the replication's liveness lock on its state session (held until the session ends, see
 * `holdRunLock` in @elt/core), marks `abandoned` the replications left `running` by processes
 * that are gone, and gives the pid and host to record with the new one.
 *
 * ```sql
 * select pg_advisory_lock_shared(hashtext('elt:run'), hashtext($1::uuid::text));
 * update "_elt"."replications" r set status = 'abandoned', message = … where r.status = 'running' and not exists (…pg_locks…)
 * ```
 */
export async function claimReplication(client: pg.ClientBase, runId: string): Promise<{ pid: number; host: string }> {
  await holdRunLock(client, runId)
  await markAbandoned(client, 'replications')
  return { pid: process.pid, host: os.hostname() }
}
