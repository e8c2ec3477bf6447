import type pg from 'pg'
import { migrate } from '@elt/core'
import type { TickStatus } from '@elt/dashboard'

export type { TickStatus }

/** `_elt.schedule_ticks`: one row per time a schedule came due (or was replayed by catchup). */
const serviceMigrations = [
  `create table _elt.schedule_ticks (
    tick_id bigint generated always as identity primary key,
    schedule text not null,
    due_at timestamptz not null,
    status text not null check (status in ('started', 'skipped', 'success', 'error', 'cancelled', 'timed_out')),
    run_id uuid,
    attempts int not null default 0,
    recorded_at timestamptz not null default clock_timestamp(),
    finished_at timestamptz,
    message text
  )`,
  `create index schedule_ticks_schedule_due on _elt.schedule_ticks (schedule, due_at desc)`,
]

export async function migrateService(client: pg.ClientBase): Promise<void> {
  await migrate(client, 'service', serviceMigrations)
}

/**
 * Records a tick and returns its id.
 *
 * ```sql
 * insert into _elt.schedule_ticks (schedule, due_at, status, message) values ($1, $2, $3, $4) returning tick_id
 * ```
 */
export async function recordTick(client: pg.ClientBase, tick: { schedule: string; dueAt: Date; status: TickStatus; message?: string }): Promise<number> {
  const { rows } = await client.query<{ tick_id: string }>(
    `insert into _elt.schedule_ticks (schedule, due_at, status, message, finished_at) values ($1, $2, $3, $4, case when $3 = 'started' then null else clock_timestamp() end) returning tick_id`,
    [tick.schedule, tick.dueAt, tick.status, tick.message ?? null],
  )
  return Number(rows[0]!.tick_id)
}

/**
 * Updates a started tick with its latest attempt (`final` also sets its end).
 *
 * ```sql
 * update _elt.schedule_ticks set status = $2, run_id = $3, attempts = $4, message = $5, finished_at = … where tick_id = $1
 * ```
 */
export async function updateTick(
  client: pg.ClientBase,
  tickId: number,
  update: { status: TickStatus; runId: string; attempts: number; message?: string },
): Promise<void> {
  await client.query(
    `update _elt.schedule_ticks set status = $2, run_id = $3, attempts = $4, message = $5,
            finished_at = case when $2 = 'started' then null else clock_timestamp() end
      where tick_id = $1`,
    [tickId, update.status, update.runId, update.attempts, update.message ?? null],
  )
}

export interface LastTick {
  schedule: string
  dueAt: Date
  status: TickStatus
  runId: string | null
  /** The status of the schedule's last tick that ran to an end (not skipped, not started). */
  lastOutcome: TickStatus | null
  lastSuccessAt: Date | null
}

/**
 * The latest tick of each schedule, with its latest finished outcome and last success.
 *
 * ```sql
 * select distinct on (schedule) schedule, due_at, status, run_id, (select status … finished) as last_outcome, … from _elt.schedule_ticks order by schedule, due_at desc, tick_id desc
 * ```
 */
export async function lastTicks(client: pg.ClientBase): Promise<Map<string, LastTick>> {
  const { rows } = await client.query<{ schedule: string; due_at: Date; status: TickStatus; run_id: string | null; last_outcome: TickStatus | null; last_success_at: Date | null }>(
    `select distinct on (t.schedule) t.schedule, t.due_at, t.status, t.run_id::text,
            (select o.status from _elt.schedule_ticks o where o.schedule = t.schedule and o.status not in ('started', 'skipped') order by o.due_at desc, o.tick_id desc limit 1) as last_outcome,
            (select max(o.finished_at) from _elt.schedule_ticks o where o.schedule = t.schedule and o.status = 'success') as last_success_at
       from _elt.schedule_ticks t
      order by t.schedule, t.due_at desc, t.tick_id desc`,
  )
  return new Map(
    rows.map((r) => [r.schedule, { schedule: r.schedule, dueAt: r.due_at, status: r.status, runId: r.run_id, lastOutcome: r.last_outcome, lastSuccessAt: r.last_success_at }]),
  )
}
