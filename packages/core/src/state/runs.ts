import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import { migrate } from './migrate.ts'

export type RunStatus = 'running' | 'success' | 'error' | 'cancelled'

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
]

export async function migrateCore(client: pg.ClientBase): Promise<void> {
  await migrate(client, 'core', coreMigrations)
}

/**
 * Records the start of a run and returns its id.
 *
 * ```ts
 * const runId = await startRun(client, { command: 'run', target: 'prod' })
 * // insert into _elt.runs (run_id, command, target, status, pid) values ($1, $2, $3, 'running', $4)
 * ```
 */
export async function startRun(client: pg.ClientBase, run: { command: string; target?: string; runId?: string }): Promise<string> {
  await migrateCore(client)
  const runId = run.runId ?? randomUUID()
  await client.query(`insert into _elt.runs (run_id, command, target, status, pid) values ($1, $2, $3, 'running', $4)`, [
    runId,
    run.command,
    run.target ?? null,
    process.pid,
  ])
  return runId
}

export async function finishRun(
  client: pg.ClientBase,
  runId: string,
  result: { status: Exclude<RunStatus, 'running'>; message?: string; summary?: unknown },
): Promise<void> {
  await client.query(
    `update _elt.runs set status = $2, finished_at = clock_timestamp(), message = $3, summary = $4 where run_id = $1`,
    [runId, result.status, result.message ?? null, result.summary === undefined ? null : JSON.stringify(result.summary)],
  )
}
