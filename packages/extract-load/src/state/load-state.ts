import type pg from 'pg'
import { migrate, runAliveSql, sleep } from '@elt/core'
import { claimReplication } from './claim-replication.ts'

/**
 * `_elt.replications` (one row per replicate run) and `_elt.table_loads` (one row per
 * table per run). Append-only list: never edit an entry, add a new one.
 */
const migrations = [
  `create table _elt.replications (
    run_id uuid primary key,
    source text not null,
    target_schema text not null,
    status text not null check (status in ('running', 'success', 'error')),
    started_at timestamptz not null default clock_timestamp(),
    finished_at timestamptz,
    jobs int,
    verify boolean,
    message text
  )`,
  `create table _elt.table_loads (
    run_id uuid not null references _elt.replications (run_id) on delete cascade,
    source_table text not null,
    target_table text not null,
    status text not null check (status in ('running', 'done', 'resumed', 'error')),
    rows bigint,
    bytes bigint,
    started_at timestamptz not null default clock_timestamp(),
    finished_at timestamptz,
    seconds double precision,
    worker int,
    attempts int not null default 1,
    resumed_from uuid,
    message text,
    primary key (run_id, source_table)
  )`,
  // a run whose process is gone is marked 'abandoned' (see claim-replication.ts); pid and host say which it was
  `alter table _elt.replications
     drop constraint replications_status_check,
     add constraint replications_status_check check (status in ('running', 'success', 'error', 'abandoned')),
     add column pid int,
     add column host text`,
  // the instant the run's tables were read as of (its exported snapshot), named when a later run takes them over
  `alter table _elt.replications add column snapshot_at timestamptz`,
  // one row per source of a run (its name in the config), so a run loads several sources; a table's
  // load belongs to its source's row (two sources may both have a `public.films`)
  `alter table _elt.replications add column source_name text not null default 'postgres';
   alter table _elt.table_loads add column source_name text not null default 'postgres';
   alter table _elt.table_loads drop constraint table_loads_run_id_fkey, drop constraint table_loads_pkey;
   alter table _elt.replications drop constraint replications_pkey, add primary key (run_id, source_name);
   alter table _elt.table_loads add primary key (run_id, source_name, source_table),
     add foreign key (run_id, source_name) references _elt.replications (run_id, source_name) on delete cascade`,
  // per-table strategies (replicate.tables): what each load did, the cursor marks, and each run's changed-row window per table
  `alter table _elt.table_loads add column strategy text not null default 'full',
     add column inserted bigint, add column updated bigint, add column deleted bigint;
   create table _elt.table_marks (
     source_name text not null,
     source_table text not null,
     target_table text not null,
     strategy text not null,
     cursor_columns text[] not null,
     mark jsonb,
     run_id uuid not null,
     updated_at timestamptz not null default clock_timestamp(),
     primary key (source_name, source_table)
   );
   create table _elt.table_changes (
     run_id uuid not null,
     source_name text not null,
     source_table text not null,
     target_table text not null,
     strategy text not null,
     full_copy boolean not null,
     from_mark jsonb,
     to_mark jsonb,
     rows bigint not null,
     inserted bigint not null default 0,
     updated bigint not null default 0,
     deleted bigint not null default 0,
     recorded_at timestamptz not null default clock_timestamp(),
     primary key (run_id, source_name, source_table)
   );
   create index on _elt.table_changes (target_table, recorded_at)`,
]

export async function migrateLoadState(client: pg.ClientBase): Promise<void> {
  await migrate(client, 'extract-load', migrations)
}

/**
 * Takes a session advisory lock for the run, so two replications into the same target never
 * interleave; a killed run's lock goes away with its connection (waits up to `waitMs` for
 * that). Returns false when another run holds it.
 *
 * ```sql
 * select pg_try_advisory_lock(hashtext('elt:replicate'), hashtext($1))  -- $1 = 'raw'
 * ```
 */
export async function tryLockTarget(client: pg.ClientBase, targetSchema: string, waitMs = 5000): Promise<boolean> {
  const deadline = Date.now() + waitMs
  for (;;) {
    const { rows } = await client.query<{ ok: boolean }>(`select pg_try_advisory_lock(hashtext('elt:replicate'), hashtext($1)) as ok`, [targetSchema])
    if (rows[0]?.ok === true) return true
    if (Date.now() >= deadline) return false
    await sleep(250)
  }
}

/** One source's part of a run: its row in `_elt.replications`. */
export interface SourceRun {
  runId: string
  /** The source's name in the config (`postgres`, `ticket_sales`). */
  sourceName: string
}

/**
 * Records one source of a run as `running` under the run's liveness lock (runs left by dead processes become `abandoned`).
 *
 * ```sql
 * insert into _elt.replications (run_id, source_name, source, target_schema, status, jobs, verify, pid, host) values ($1, $2, $3, $4, 'running', $5, $6, $7, $8)
 * ```
 */
export async function startReplication(
  client: pg.ClientBase,
  run: SourceRun & { source: string; targetSchema: string; jobs: number; verify: boolean },
): Promise<void> {
  const { pid, host } = await claimReplication(client, run.runId)
  await client.query(
    `insert into _elt.replications (run_id, source_name, source, target_schema, status, jobs, verify, pid, host) values ($1, $2, $3, $4, 'running', $5, $6, $7, $8)`,
    [run.runId, run.sourceName, run.source, run.targetSchema, run.jobs, run.verify, pid, host],
  )
}

/** `update _elt.replications set status = $3, finished_at = clock_timestamp(), message = $4 where run_id = $1 and source_name = $2` */
export async function finishReplication(client: pg.ClientBase, run: SourceRun, status: 'success' | 'error', message?: string): Promise<void> {
  await client.query(`update _elt.replications set status = $3, finished_at = clock_timestamp(), message = $4 where run_id = $1 and source_name = $2`, [
    run.runId,
    run.sourceName,
    status,
    message ?? null,
  ])
}

/**
 * `update _elt.replications set snapshot_at = $3 where run_id = $1 and source_name = $2`: the time the
 * source's snapshot was taken (the source's clock), shown when a later run takes its tables over.
 */
export async function recordSnapshotTime(client: pg.ClientBase, run: SourceRun, at: Date): Promise<void> {
  await client.query(`update _elt.replications set snapshot_at = $3 where run_id = $1 and source_name = $2`, [run.runId, run.sourceName, at])
}

export interface FinishedLoad {
  sourceTable: string
  targetTable: string
  rows: number
  bytes: number
}

/** The tables an interrupted run copied itself, and the snapshot they were read as of. */
export interface InterruptedRun {
  runId: string
  /** `null` for a run recorded before snapshot times were. */
  snapshotAt: Date | null
  tables: FinishedLoad[]
}

/**
 * The latest run into the target, when its row of the same source (name and database) was
 * interrupted (its process is gone: recorded `abandoned`, or still `running` with nobody
 * holding its liveness lock), with the tables it copied itself (`done`). A finished run
 * (success or error) is never resumed, nor one after which another run wrote into the target;
 * tables it had itself taken over (`resumed`) are not carried forward: each table is resumed
 * at most once.
 *
 * ```sql
 * with latest as (select run_id from _elt.replications where target_schema = $2 order by started_at desc limit 1)
 * select l.source_table, l.target_table, l.rows, l.bytes, r.run_id, r.snapshot_at
 *   from latest join _elt.replications r using (run_id) join _elt.table_loads l using (run_id, source_name)
 *  where r.source_name = $3 and r.source = $1 and r.target_schema = $2
 *    and (r.status = 'abandoned' or r.status = 'running' and not exists (…pg_locks…)) and l.status = 'done'
 * ```
 */
export async function findInterruptedRun(
  client: pg.ClientBase,
  of: { source: string; sourceName: string; targetSchema: string },
): Promise<InterruptedRun | undefined> {
  const { rows } = await client.query<{ source_table: string; target_table: string; rows: string; bytes: string; run_id: string; snapshot_at: Date | null }>(
    `with latest as (
       select run_id from _elt.replications where target_schema = $2 order by started_at desc limit 1
     )
     select l.source_table, l.target_table, l.rows::text, l.bytes::text, r.run_id::text, r.snapshot_at
       from latest join _elt.replications r on r.run_id = latest.run_id
       join _elt.table_loads l on l.run_id = r.run_id and l.source_name = r.source_name
      where r.source_name = $3 and r.source = $1 and r.target_schema = $2
        and (r.status = 'abandoned' or r.status = 'running' and not ${runAliveSql('r.run_id')})
        and l.status = 'done'
      order by l.source_table`,
    [of.source, of.targetSchema, of.sourceName],
  )
  const first = rows[0]
  if (first === undefined) return undefined
  return {
    runId: first.run_id,
    snapshotAt: first.snapshot_at,
    tables: rows.map((r) => ({ sourceTable: r.source_table, targetTable: r.target_table, rows: Number(r.rows), bytes: Number(r.bytes) })),
  }
}

/** Upserts one table's record: `insert into _elt.table_loads (…) values (…) on conflict (run_id, source_name, source_table) do update set …` */
export async function recordLoad(
  client: pg.ClientBase,
  load: {
    runId: string
    sourceName: string
    sourceTable: string
    targetTable: string
    status: 'running' | 'done' | 'resumed' | 'error'
    rows?: number
    bytes?: number
    seconds?: number
    worker?: number
    attempts?: number
    resumedFrom?: string
    message?: string
    /** The table's strategy (default `full`) and what it moved. */
    strategy?: string
    inserted?: number
    updated?: number
    deleted?: number
  },
): Promise<void> {
  await client.query(
    `insert into _elt.table_loads (run_id, source_table, target_table, status, rows, bytes, seconds, worker, attempts, resumed_from, message, finished_at, source_name,
                                   strategy, inserted, updated, deleted)
     values ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9, 1), $10, $11, case when $4 <> 'running' then clock_timestamp() end, $12, coalesce($13, 'full'), $14, $15, $16)
     on conflict (run_id, source_name, source_table) do update set status = excluded.status, rows = excluded.rows, bytes = excluded.bytes,
       seconds = excluded.seconds, worker = excluded.worker, attempts = excluded.attempts, message = excluded.message,
       finished_at = excluded.finished_at, strategy = excluded.strategy, inserted = excluded.inserted, updated = excluded.updated, deleted = excluded.deleted`,
    [
      load.runId,
      load.sourceTable,
      load.targetTable,
      load.status,
      load.rows ?? null,
      load.bytes ?? null,
      load.seconds ?? null,
      load.worker ?? null,
      load.attempts ?? null,
      load.resumedFrom ?? null,
      load.message ?? null,
      load.sourceName,
      load.strategy ?? null,
      load.inserted ?? null,
      load.updated ?? null,
      load.deleted ?? null,
    ],
  )
}
