import type pg from 'pg'
import { migrate } from '@elt/core'
import type { NodeResult } from './node-result.ts'

/** The runner's tables in `_elt` (append only: never edit an applied entry). */
const runnerMigrations = [
  `create table _elt.model_results (
    run_id uuid not null,
    node_id text not null,
    name text not null,
    kind text not null default 'model',
    materialized text,
    target_schema text,
    status text not null check (status in ('success', 'error', 'skipped')),
    started_at timestamptz,
    finished_at timestamptz,
    seconds double precision not null default 0,
    rows_affected bigint,
    message text,
    worker int,
    recorded_at timestamptz not null default clock_timestamp(),
    primary key (run_id, node_id)
  )`,
  `create index model_results_node on _elt.model_results (node_id, recorded_at desc)`,
  `create table _elt.run_manifests (
    run_id uuid primary key,
    manifest jsonb not null,
    recorded_at timestamptz not null default clock_timestamp()
  )`,
]

/** Creates or upgrades the runner's `_elt` tables. */
export async function migrateRunner(client: pg.ClientBase): Promise<void> {
  await migrate(client, 'runner', runnerMigrations)
}

/**
 * Records one node's result for a run (idempotent per run and node).
 *
 * ```sql
 * insert into _elt.model_results (run_id, node_id, name, …) values ($1, $2, $3, …)
 * on conflict (run_id, node_id) do update set status = excluded.status, …
 * ```
 */
export async function recordNodeResult(client: pg.ClientBase, runId: string, targetSchema: string, result: NodeResult): Promise<void> {
  await client.query(
    `insert into _elt.model_results
       (run_id, node_id, name, kind, materialized, target_schema, status, started_at, finished_at, seconds, rows_affected, message, worker)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     on conflict (run_id, node_id) do update set status = excluded.status, started_at = excluded.started_at,
       finished_at = excluded.finished_at, seconds = excluded.seconds, rows_affected = excluded.rows_affected,
       message = excluded.message, worker = excluded.worker, recorded_at = clock_timestamp()`,
    [
      runId,
      result.id,
      result.name,
      result.kind,
      result.materialized,
      targetSchema,
      result.status,
      result.startedAt,
      result.finishedAt,
      result.seconds,
      result.rowsAffected,
      result.message,
      result.worker,
    ],
  )
}

/** Stores the manifest a run used, so history can show the graph as it was. */
export async function recordManifest(client: pg.ClientBase, runId: string, manifest: unknown): Promise<void> {
  await client.query(
    `insert into _elt.run_manifests (run_id, manifest) values ($1, $2) on conflict (run_id) do update set manifest = excluded.manifest`,
    [runId, JSON.stringify(manifest)],
  )
}
