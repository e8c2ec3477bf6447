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
]

export interface CdcPipelineState {
  pipeline: string
  slot: string
  publication: string
  tables: string[]
  appliedLsn: string
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
  const { rows } = await client.query<{ slot: string; publication: string; tables: string[]; applied_lsn: string }>(
    'select slot, publication, tables, applied_lsn::text from _elt.cdc_pipelines where pipeline = $1',
    [pipeline],
  )
  const row = rows[0]
  return row && { pipeline, slot: row.slot, publication: row.publication, tables: row.tables, appliedLsn: row.applied_lsn }
}

/** Records the pipeline after its initial copy: changes after `appliedLsn` (the slot's consistent point) are streamed. */
export async function writeCdcState(client: pg.ClientBase, state: CdcPipelineState): Promise<void> {
  await client.query(
    `insert into _elt.cdc_pipelines (pipeline, slot, publication, tables, applied_lsn) values ($1, $2, $3, $4, $5::pg_lsn)
     on conflict (pipeline) do update set slot = excluded.slot, publication = excluded.publication, tables = excluded.tables, applied_lsn = excluded.applied_lsn, applied_at = now()`,
    [state.pipeline, state.slot, state.publication, state.tables, state.appliedLsn],
  )
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
