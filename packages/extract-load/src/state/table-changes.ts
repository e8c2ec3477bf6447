import type pg from 'pg'

/**
 * What one run changed in one raw table: a full copy (everything may have changed), or the window
 * of a cursor strategy (`from_mark` exclusive: the previous mark, minus the lookback when there is
 * one → `to_mark`, the new mark; cursor values as text) or of CDC (LSNs).
 */
export interface TableChange {
  runId: string
  sourceName: string
  sourceTable: string
  targetTable: string
  strategy: string
  fullCopy: boolean
  fromMark: unknown
  toMark: unknown
  rows: number
  inserted: number
  updated: number
  deleted: number
}

/**
 * Records a table's changed-row window for this run, in the transaction that applies the rows.
 *
 * ```sql
 * insert into _elt.table_changes (run_id, source_name, source_table, target_table, strategy, full_copy, from_mark, to_mark, rows, inserted, updated, deleted)
 * values (…) on conflict (run_id, source_name, source_table) do update set …
 * ```
 */
export async function recordTableChange(client: pg.ClientBase, change: TableChange): Promise<void> {
  await client.query(
    `insert into _elt.table_changes (run_id, source_name, source_table, target_table, strategy, full_copy, from_mark, to_mark, rows, inserted, updated, deleted)
     values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, $11, $12)
     on conflict (run_id, source_name, source_table) do update set target_table = excluded.target_table, strategy = excluded.strategy,
       full_copy = excluded.full_copy, from_mark = excluded.from_mark, to_mark = excluded.to_mark, rows = excluded.rows,
       inserted = excluded.inserted, updated = excluded.updated, deleted = excluded.deleted, recorded_at = clock_timestamp()`,
    [
      change.runId,
      change.sourceName,
      change.sourceTable,
      change.targetTable,
      change.strategy,
      change.fullCopy,
      JSON.stringify(change.fromMark ?? null),
      JSON.stringify(change.toMark ?? null),
      change.rows,
      change.inserted,
      change.updated,
      change.deleted,
    ],
  )
}

/**
 * The raw tables (`schema.table`) that received changes in the latest successful replication run
 * (a full copy, or a window with rows inserted, updated or deleted): `--select source_status:fresher+`.
 *
 * ```sql
 * select distinct c.target_table from _elt.table_changes c where c.run_id = (latest successful run) and (c.full_copy or c.inserted + c.updated + c.deleted > 0)
 * ```
 */
export async function changedTablesOfLatestRun(client: pg.ClientBase): Promise<{ runId: string | null; tables: string[] }> {
  const exists = await client.query<{ ok: boolean }>(`select to_regclass('_elt.table_changes') is not null as ok`)
  if (!exists.rows[0]?.ok) return { runId: null, tables: [] }
  const { rows } = await client.query<{ run_id: string | null; tables: string[] | null }>(
    `with latest as (
       select r.run_id from _elt.replications r where r.status = 'success' order by r.finished_at desc nulls last limit 1
     )
     select (select run_id::text from latest) as run_id,
            (select array_agg(distinct c.target_table order by c.target_table) from _elt.table_changes c
              where c.run_id = (select run_id from latest) and (c.full_copy or c.inserted + c.updated + c.deleted > 0)) as tables`,
  )
  return { runId: rows[0]?.run_id ?? null, tables: rows[0]?.tables ?? [] }
}
