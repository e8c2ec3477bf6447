import type pg from 'pg'
import { effectiveRunStatusSql } from '@elt/core'
import type { NodeResult } from './node-result.ts'

export interface RunSummary {
  runId: string
  command: string
  target: string | null
  /** `abandoned` when recorded `running` but its process is gone. */
  status: string
  startedAt: Date
  finishedAt: Date | null
  seconds: number | null
  message: string | null
  counts: { success: number; error: number; skipped: number }
}

/** One row of `_elt.model_results`: a node's result in one run. */
export interface NodeRun extends Omit<NodeResult, 'id' | 'failures'> {
  runId: string
  nodeId: string
  targetSchema: string | null
  recordedAt: Date
}

const nodeRunColumns = `run_id as "runId", node_id as "nodeId", name, kind, materialized, target_schema as "targetSchema", status,
  started_at as "startedAt", finished_at as "finishedAt", seconds, rows_affected::float8 as "rowsAffected", message, worker, recorded_at as "recordedAt"`

/** A run's status as readers see it: `running` with its process gone reads `abandoned` (no write needed). */
const runStatus = effectiveRunStatusSql('r.status', 'r.run_id')

/**
 * The most recent runs, newest first, with per-status node counts.
 *
 * ```sql
 * select r.run_id, …, count(*) filter (where m.status = 'success') … from _elt.runs r
 * left join _elt.model_results m using (run_id) group by r.run_id order by r.started_at desc limit $1
 * ```
 */
export async function listRuns(client: pg.ClientBase, options: { limit?: number } = {}): Promise<RunSummary[]> {
  if (!(await hasRunnerTables(client))) return []
  const { rows } = await client.query(
    `select r.run_id as "runId", r.command, r.target, ${runStatus} as status, r.started_at as "startedAt", r.finished_at as "finishedAt",
            extract(epoch from r.finished_at - r.started_at)::float8 as seconds, r.message,
            count(m.node_id) filter (where m.status = 'success')::int as success,
            count(m.node_id) filter (where m.status = 'error')::int as error,
            count(m.node_id) filter (where m.status = 'skipped')::int as skipped
     from _elt.runs r left join _elt.model_results m on m.run_id = r.run_id
     group by r.run_id order by r.started_at desc limit $1`,
    [options.limit ?? 50],
  )
  return rows.map(({ success, error, skipped, ...run }) => ({ ...run, counts: { success, error, skipped } }) as RunSummary)
}

/** One run and the results of its nodes in start order; undefined for an unknown run id. */
export async function runDetails(client: pg.ClientBase, runId: string): Promise<{ run: RunSummary; nodes: NodeRun[] } | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(runId) || !(await hasRunnerTables(client))) return undefined
  const runs = await client.query(
    `select r.run_id as "runId", r.command, r.target, ${runStatus} as status, r.started_at as "startedAt", r.finished_at as "finishedAt",
            extract(epoch from r.finished_at - r.started_at)::float8 as seconds, r.message
     from _elt.runs r where r.run_id = $1`,
    [runId],
  )
  if (!runs.rows[0]) return undefined
  const { rows } = await client.query<NodeRun>(
    `select ${nodeRunColumns} from _elt.model_results where run_id = $1 order by started_at nulls last, node_id`,
    [runId],
  )
  const counts = { success: 0, error: 0, skipped: 0 }
  for (const row of rows) counts[row.status]++
  return { run: { ...(runs.rows[0] as Omit<RunSummary, 'counts'>), counts }, nodes: rows }
}

/** The last results of one node, newest first. */
export async function nodeHistory(client: pg.ClientBase, nodeId: string, options: { limit?: number } = {}): Promise<NodeRun[]> {
  if (!(await hasRunnerTables(client))) return []
  const { rows } = await client.query<NodeRun>(
    `select ${nodeRunColumns} from _elt.model_results where node_id = $1 order by recorded_at desc limit $2`,
    [nodeId, options.limit ?? 20],
  )
  return rows
}

/** The manifest recorded with a run, if any. */
export async function runManifest(client: pg.ClientBase, runId: string): Promise<unknown | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(runId) || !(await hasRunnerTables(client))) return undefined
  const { rows } = await client.query<{ manifest: unknown }>(`select manifest from _elt.run_manifests where run_id = $1`, [runId])
  return rows[0]?.manifest
}

async function hasRunnerTables(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>(
    `select to_regclass('_elt.model_results') is not null and to_regclass('_elt.runs') is not null as ok`,
  )
  return rows[0]?.ok === true
}
