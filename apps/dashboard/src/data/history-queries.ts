import type pg from 'pg'
import { effectiveRunStatusSql } from '@elt/core'
import { readColumns } from '@elt/runner'
import type { ColumnInfo, NodeRunInfo, RunStep, StepStatus } from './dashboard-source.ts'

/**
 * Read-only queries over `_elt` that the runner's read API does not cover: table loads
 * (extract-load's records), per-run counts, catalog column types. Every value is a parameter;
 * nothing a client sends is spliced into SQL.
 */

export type StateTable = 'runs' | 'model_results' | 'table_loads' | 'test_results' | 'stage_extracts'

/**
 * Which state tables exist yet (a fresh warehouse has none).
 *
 * ```sql
 * select to_regclass('_elt.runs') is not null as runs, … to_regclass('_elt.test_results') is not null as test_results
 * ```
 */
export async function presentTables(client: pg.ClientBase): Promise<Set<StateTable>> {
  const { rows } = await client.query<Record<StateTable, boolean>>(
    `select to_regclass('_elt.runs') is not null as runs, to_regclass('_elt.model_results') is not null as model_results,
            to_regclass('_elt.table_loads') is not null as table_loads, to_regclass('_elt.test_results') is not null as test_results,
            to_regclass('_elt.stage_extracts') is not null as stage_extracts`,
  )
  return new Set((Object.entries(rows[0] ?? {}) as [StateTable, boolean][]).filter(([, ok]) => ok).map(([name]) => name))
}

/** A load's recorded status, `running` reading `abandoned` once its run's process is gone. */
const loadStatusSql = effectiveRunStatusSql('status', 'run_id')
/** A load's or an extract's record as a step (`discarded`: an extract's table written, then removed with its unpublished day). */
const loadStatus = (status: string): StepStatus =>
  status === 'done' || status === 'resumed' ? 'success' : status === 'error' ? 'error' : status === 'abandoned' ? 'abandoned' : status === 'discarded' ? 'skipped' : 'running'
const iso = (value: Date | string | null): string | undefined => (value === null ? undefined : new Date(value).toISOString())

/**
 * Replicated table → the source table it was last loaded from.
 *
 * ```sql
 * select distinct on (target_table) target_table, source_table from _elt.table_loads order by target_table, started_at desc
 * ```
 */
export async function readLoadedFrom(client: pg.ClientBase): Promise<Map<string, string>> {
  const { rows } = await client.query<{ target_table: string; source_table: string }>(
    `select distinct on (target_table) target_table, source_table from _elt.table_loads order by target_table, started_at desc`,
  )
  return new Map(rows.map((row) => [row.target_table, row.source_table]))
}

/** Columns with their types and comments for the given relations, in table order (the runner's {@link readColumns}). */
export async function readCatalogColumns(client: pg.ClientBase, relations: { schema: string; name: string }[]): Promise<Map<string, ColumnInfo[]>> {
  const columns = await readColumns(client, { relations })
  return new Map(
    [...columns].map(([key, list]) => [key, list.map((c): ColumnInfo => ({ name: c.name, type: c.type, ...(c.description ? { description: c.description } : {}) }))]),
  )
}

/**
 * Loads, models and tests per status for each run.
 *
 * ```sql
 * select run_id, 'loads' as what, status, count(*) from _elt.table_loads where run_id = any($1::uuid[]) group by 1, 2, 3 union all …
 * ```
 */
export async function readRunCounts(client: pg.ClientBase, runIds: string[], tables: Set<StateTable>): Promise<Map<string, Record<'loads' | 'models' | 'tests', Record<string, number>>>> {
  const counts = new Map<string, Record<'loads' | 'models' | 'tests', Record<string, number>>>(runIds.map((id) => [id, { loads: {}, models: {}, tests: {} }]))
  const parts: string[] = []
  if (tables.has('table_loads')) parts.push(`select run_id::text, 'loads' as what, ${loadStatusSql} as status, count(*)::int as n from _elt.table_loads where run_id = any($1::uuid[]) group by 1, 2, 3`)
  // an extract's tables (written to the stage, not the warehouse) count as its loads
  if (tables.has('stage_extracts')) parts.push(`select run_id::text, 'loads', ${loadStatusSql}, count(*)::int from _elt.stage_extracts where run_id = any($1::uuid[]) group by 1, 2, 3`)
  if (tables.has('model_results')) parts.push(`select run_id::text, 'models', status, count(*)::int from _elt.model_results where run_id = any($1::uuid[]) and kind = 'model' group by 1, 2, 3`)
  if (tables.has('test_results')) parts.push(`select run_id::text, 'tests', status, count(*)::int from _elt.test_results where run_id = any($1::uuid[]) group by 1, 2, 3`)
  if (parts.length === 0 || runIds.length === 0) return counts
  const { rows } = await client.query<{ run_id: string; what: 'loads' | 'models' | 'tests'; status: string; n: number }>(parts.join(' union all '), [runIds])
  for (const row of rows) {
    const status = row.what === 'loads' ? loadStatus(row.status) : row.status
    const bucket = counts.get(row.run_id)![row.what]
    bucket[status] = (bucket[status] ?? 0) + row.n
  }
  return counts
}

interface LoadRow {
  run_id: string
  source_table: string
  target_table: string
  status: string
  rows: number | null
  started_at: Date
  finished_at: Date | null
  seconds: number | null
  worker: number | null
  message: string | null
}

const loadColumns = `run_id::text, source_table, target_table, ${loadStatusSql} as status, rows::float8 as rows, started_at, finished_at, seconds, worker, message`

function loadStep(row: LoadRow, nodeIdOf: (target: string) => string): RunStep {
  const finished = row.finished_at ?? new Date(row.started_at.getTime() + (row.seconds ?? 0) * 1000)
  return {
    kind: 'load',
    nodeId: nodeIdOf(row.target_table),
    name: row.target_table,
    status: loadStatus(row.status),
    startedAt: iso(row.started_at)!,
    finishedAt: iso(finished)!,
    seconds: row.seconds ?? (finished.getTime() - row.started_at.getTime()) / 1000,
    ...(row.worker === null ? {} : { worker: row.worker }),
    ...(row.rows === null ? {} : { rows: row.rows }),
    ...(row.message ? { message: row.message } : {}),
  }
}

/** `select … from _elt.table_loads where run_id = $1 order by started_at` */
export async function readRunLoads(client: pg.ClientBase, runId: string, nodeIdOf: (target: string) => string): Promise<RunStep[]> {
  const { rows } = await client.query<LoadRow>(`select ${loadColumns} from _elt.table_loads where run_id = $1 order by started_at`, [runId])
  return rows.map((row) => loadStep(row, nodeIdOf))
}

interface ExtractRow {
  source: string
  stage_table: string
  day: string
  status: string
  rows: number | null
  started_at: Date
  finished_at: Date | null
  seconds: number | null
  message: string | null
}

/**
 * An extract run's tables, one step each (`postgres: public.films → stage 2024-01-15`).
 *
 * ```sql
 * select source, stage_table, day::text, status, rows, started_at, finished_at, seconds, message from _elt.stage_extracts where run_id = $1 order by started_at
 * ```
 */
export async function readRunExtracts(client: pg.ClientBase, runId: string): Promise<RunStep[]> {
  const { rows } = await client.query<ExtractRow>(
    `select source, stage_table, day::text as day, ${loadStatusSql} as status, rows::float8 as rows, started_at, finished_at, seconds, message
       from _elt.stage_extracts where run_id = $1 order by started_at`,
    [runId],
  )
  return rows.map((row) => {
    const finished = row.finished_at ?? new Date(row.started_at.getTime() + (row.seconds ?? 0) * 1000)
    return {
      kind: 'extract',
      name: `${row.source}: ${row.stage_table} → stage ${row.day}`,
      status: loadStatus(row.status),
      startedAt: iso(row.started_at)!,
      finishedAt: iso(finished)!,
      seconds: row.seconds ?? (finished.getTime() - row.started_at.getTime()) / 1000,
      ...(row.rows === null ? {} : { rows: row.rows }),
      ...(row.message ? { message: row.message } : {}),
    }
  })
}

/** `select … from _elt.table_loads where target_table = $1 order by started_at desc limit $2` */
export async function readLoadHistory(client: pg.ClientBase, targetTable: string, limit: number): Promise<NodeRunInfo[]> {
  const { rows } = await client.query<LoadRow>(`select ${loadColumns} from _elt.table_loads where target_table = $1 order by started_at desc limit $2`, [targetTable, limit])
  return rows.map((row) => toRunInfo(loadStep(row, (t) => t), row.run_id))
}

/**
 * The latest build of every model and the latest load of every table.
 *
 * ```sql
 * select distinct on (node_id) … from _elt.model_results where kind = 'model' order by node_id, recorded_at desc;
 * select distinct on (target_table) … from _elt.table_loads order by target_table, started_at desc
 * ```
 */
export async function readLastNodeRuns(client: pg.ClientBase, tables: Set<StateTable>, nodeIdOf: (target: string) => string): Promise<Map<string, NodeRunInfo>> {
  const last = new Map<string, NodeRunInfo>()
  if (tables.has('model_results')) {
    const { rows } = await client.query<{ node_id: string; run_id: string; status: StepStatus; started_at: Date | null; recorded_at: Date; seconds: number; rows: number | null; message: string | null }>(
      `select distinct on (node_id) node_id, run_id::text, status, started_at, recorded_at, seconds, rows_affected::float8 as rows, message
         from _elt.model_results where kind = 'model' order by node_id, recorded_at desc`,
    )
    for (const row of rows)
      last.set(row.node_id, { runId: row.run_id, status: row.status, startedAt: iso(row.started_at ?? row.recorded_at)!, seconds: row.seconds, ...(row.rows === null ? {} : { rows: row.rows }), ...(row.message ? { message: row.message } : {}) })
  }
  if (tables.has('table_loads')) {
    const { rows } = await client.query<LoadRow>(`select distinct on (target_table) ${loadColumns} from _elt.table_loads order by target_table, started_at desc`)
    for (const row of rows) {
      const step = loadStep(row, nodeIdOf)
      last.set(step.nodeId!, toRunInfo(step, row.run_id))
    }
  }
  return last
}

function toRunInfo(step: RunStep, runId: string): NodeRunInfo {
  return { runId, status: step.status, startedAt: step.startedAt, seconds: step.seconds, ...(step.rows === undefined ? {} : { rows: step.rows }), ...(step.message ? { message: step.message } : {}) }
}
