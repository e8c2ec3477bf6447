import type pg from 'pg'
import { migrate } from '@elt/core'

/**
 * `_elt.stage_extracts`: one row per table per `extract` run (its `_elt.runs` id), the table's
 * day folder, rows, bytes, files and time; `discarded`: the table was written, but its source's day
 * was not published (another table failed, or the run was cancelled), so its files were removed. A separate table from `_elt.table_loads` because an
 * extract replaces no destination table (the dashboard's lineage reads the latest `table_loads`
 * row of a raw table as "where it was loaded from"); `load --date` records its tables in
 * `_elt.table_loads` through the shared writer, like `replicate`. Append-only migrations.
 */
const migrations = [
  `create table _elt.stage_extracts (
    run_id uuid not null,
    source text not null,
    stage_table text not null,
    day date not null,
    status text not null check (status in ('running', 'done', 'error')),
    rows bigint,
    bytes bigint,
    files int,
    folder text,
    started_at timestamptz not null default clock_timestamp(),
    finished_at timestamptz,
    seconds double precision,
    message text,
    primary key (run_id, source, stage_table)
  )`,
  `create index stage_extracts_day on _elt.stage_extracts (day, source)`,
  // a table written by an extract whose day was then not published (another table failed, Ctrl-C): its files were removed
  `alter table _elt.stage_extracts drop constraint stage_extracts_status_check,
     add constraint stage_extracts_status_check check (status in ('running', 'done', 'error', 'discarded'))`,
]

export async function migrateStageState(client: pg.ClientBase): Promise<void> {
  await migrate(client, 'stage', migrations)
}

export interface StageExtractRecord {
  runId: string
  source: string
  table: string
  date: string
  status: 'running' | 'done' | 'error'
  rows?: number
  bytes?: number
  files?: number
  folder?: string
  seconds?: number
  message?: string
}

/**
 * Records a table's extract (`running` when it starts, then `done` or `error`).
 *
 * ```sql
 * insert into _elt.stage_extracts (run_id, source, stage_table, day, status, …) values ($1, …)
 * on conflict (run_id, source, stage_table) do update set status = excluded.status, …
 * ```
 */
export async function recordStageExtract(client: pg.ClientBase, r: StageExtractRecord): Promise<void> {
  await client.query(
    `insert into _elt.stage_extracts (run_id, source, stage_table, day, status, rows, bytes, files, folder, seconds, message, finished_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, case when $5 = 'running' then null else clock_timestamp() end)
     on conflict (run_id, source, stage_table) do update set status = excluded.status, rows = excluded.rows, bytes = excluded.bytes,
       files = excluded.files, folder = excluded.folder, seconds = excluded.seconds, message = excluded.message, finished_at = excluded.finished_at`,
    [r.runId, r.source, r.table, r.date, r.status, r.rows ?? null, r.bytes ?? null, r.files ?? null, r.folder ?? null, r.seconds ?? null, r.message ?? null],
  )
}

/**
 * Marks `discarded` the tables of `source` this run wrote (`done`) when the source's day is not
 * published after all: their folders are removed, so `done` would claim a day that is not there.
 *
 * ```sql
 * update _elt.stage_extracts set status = 'discarded', message = $3 where run_id = $1 and source = $2 and status = 'done'
 * ```
 */
export async function discardStageExtracts(client: pg.ClientBase, runId: string, source: string, message: string): Promise<void> {
  await client.query(`update _elt.stage_extracts set status = 'discarded', message = $3 where run_id = $1 and source = $2 and status = 'done'`, [runId, source, message])
}

/**
 * After the next extract removed a dead run's folders (see `cleanStageSource`): marks `discarded`
 * that run's `done` tables of `source`, when the run left one unfinished (`running`, `error`), the
 * sign it never published the day (a run that published had every table `done`, and a replaced
 * day's run keeps its `done`).
 *
 * ```sql
 * update _elt.stage_extracts set status = 'discarded', message = $3 where run_id = $1 and source = $2 and status = 'done'
 *    and exists (select 1 from _elt.stage_extracts u where u.run_id = $1 and u.source = $2 and u.status in ('running', 'error'))
 * ```
 */
export async function discardDeadRunExtracts(client: pg.ClientBase, runId: string, source: string, message: string): Promise<void> {
  await client.query(
    `update _elt.stage_extracts set status = 'discarded', message = $3 where run_id = $1 and source = $2 and status = 'done'
        and exists (select 1 from _elt.stage_extracts u where u.run_id = $1 and u.source = $2 and u.status in ('running', 'error'))`,
    [runId, source, message],
  )
}
