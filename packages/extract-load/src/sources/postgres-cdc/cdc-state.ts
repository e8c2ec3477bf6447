import type pg from 'pg'
import { migrate } from '@elt/core'

/**
 * `_elt.cdc_pipelines`: per pipeline (source name) its slot, publication, tables and the LSN
 * applied to the destination. `applied_lsn` is written in the same destination transaction as
 * the changes it covers, so a restart resumes exactly after the last committed source transaction.
 */
const migrations = [
  `create table _elt.cdc_pipelines (
    pipeline text primary key,
    slot text not null,
    publication text not null,
    tables text[] not null,
    applied_lsn pg_lsn not null,
    applied_at timestamptz not null default now(),
    last_commit_at timestamptz
  )`,
  // per table the LSN its raw copy was taken at (the stream skips that table's transactions committed before it); null = a copy is due
  `alter table _elt.cdc_pipelines add column copied_lsns jsonb not null default '{}'`,
]

export interface CdcPipelineState {
  pipeline: string
  slot: string
  publication: string
  tables: string[]
  appliedLsn: string
  /**
   * Per table (`public.accounts`), the LSN its raw copy was taken at: the stream applies its
   * transactions committed from there on. `null`: a copy is due (it was started, not recorded as
   * done). A table without an entry was copied with the pipeline's slot (every change applies).
   */
  copiedLsns: Record<string, string | null>
}

export async function migrateCdcState(client: pg.ClientBase): Promise<void> {
  await migrate(client, 'cdc', migrations)
}

/**
 * The pipeline's recorded state, or undefined before its initial copy finished.
 *
 * ```sql
 * select slot, publication, tables, applied_lsn::text from _elt.cdc_pipelines where pipeline = $1
 * ```
 */
export async function readCdcState(client: pg.ClientBase, pipeline: string): Promise<CdcPipelineState | undefined> {
  const { rows } = await client.query<{ slot: string; publication: string; tables: string[]; applied_lsn: string; copied_lsns: Record<string, string | null> }>(
    'select slot, publication, tables, applied_lsn::text, copied_lsns from _elt.cdc_pipelines where pipeline = $1',
    [pipeline],
  )
  const row = rows[0]
  return row && { pipeline, slot: row.slot, publication: row.publication, tables: row.tables, appliedLsn: row.applied_lsn, copiedLsns: row.copied_lsns }
}

/** Records the pipeline after its initial copy: changes after `appliedLsn` (the slot's consistent point) are streamed. */
export async function writeCdcState(client: pg.ClientBase, state: CdcPipelineState): Promise<void> {
  await client.query(
    `insert into _elt.cdc_pipelines (pipeline, slot, publication, tables, applied_lsn, copied_lsns) values ($1, $2, $3, $4, $5::pg_lsn, $6)
     on conflict (pipeline) do update set slot = excluded.slot, publication = excluded.publication, tables = excluded.tables, applied_lsn = excluded.applied_lsn,
       copied_lsns = excluded.copied_lsns, applied_at = now()`,
    [state.pipeline, state.slot, state.publication, state.tables, state.appliedLsn, JSON.stringify(state.copiedLsns)],
  )
}

/**
 * Sets the pipeline's tables and marks `due` as to be copied (`null`), before their copy starts:
 * a run that dies before {@link recordTableCopies} copies them again, never streams them half-known.
 * Tables no longer in the set lose their entry.
 *
 * ```sql
 * update _elt.cdc_pipelines set tables = $2, copied_lsns = (select coalesce(jsonb_object_agg(key, value), '{}') from jsonb_each(copied_lsns) where key = any($2)) || $3 where pipeline = $1
 * ```
 */
export async function markTablesForCopy(client: pg.ClientBase, pipeline: string, tables: readonly string[], due: readonly string[]): Promise<void> {
  await client.query(
    `update _elt.cdc_pipelines set tables = $2,
       copied_lsns = (select coalesce(jsonb_object_agg(key, value), '{}') from jsonb_each(copied_lsns) where key = any($2)) || $3::jsonb
     where pipeline = $1`,
    [pipeline, tables, JSON.stringify(Object.fromEntries(due.map((t) => [t, null])))],
  )
}

/**
 * Records that `tables` were copied as of `lsn` (the snapshot of a slot created at that LSN): the
 * stream skips their transactions committed before it, applies the later ones.
 *
 * ```sql
 * update _elt.cdc_pipelines set copied_lsns = copied_lsns || '{"public.accounts": "0/1A2B3C4"}' where pipeline = $1
 * ```
 */
export async function recordTableCopies(client: pg.ClientBase, pipeline: string, tables: readonly string[], lsn: string): Promise<void> {
  await client.query('update _elt.cdc_pipelines set copied_lsns = copied_lsns || $2::jsonb where pipeline = $1', [pipeline, JSON.stringify(Object.fromEntries(tables.map((t) => [t, lsn])))])
}

/**
 * Advances the applied position, inside the destination transaction that applied the changes.
 *
 * ```sql
 * update _elt.cdc_pipelines set applied_lsn = $2::pg_lsn, applied_at = now(), last_commit_at = $3 where pipeline = $1
 * ```
 */
export async function advanceCdcState(client: pg.ClientBase, pipeline: string, lsn: string, commitAt: Date): Promise<void> {
  await client.query('update _elt.cdc_pipelines set applied_lsn = $2::pg_lsn, applied_at = now(), last_commit_at = $3 where pipeline = $1', [pipeline, lsn, commitAt])
}

export async function deleteCdcState(client: pg.ClientBase, pipeline: string): Promise<void> {
  await client.query('delete from _elt.cdc_pipelines where pipeline = $1', [pipeline])
}
