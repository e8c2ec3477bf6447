import type pg from 'pg'
import { migrate } from '@elt/core'

/**
 * The documents component's state: `_elt.document_loads` (one row per run and source),
 * `_elt.document_table_counts` (per run, source and table: inserted, updated, deleted,
 * unchanged, added to at every batch commit), `_elt.document_marks` (an incremental source's
 * high-water mark), and `_elt_audit.rejected_documents`. A load left `running` by a killed
 * process is marked `abandoned` by the next load (`markAbandoned`). Append-only list: never edit an entry.
 */
const migrations = [
  `create table _elt.document_loads (
    run_id uuid not null,
    source text not null,
    mapping text not null,
    target_schema text not null,
    description text not null,
    status text not null,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    documents bigint not null default 0,
    loaded bigint not null default 0,
    rejected bigint not null default 0,
    batches int not null default 0,
    message text,
    primary key (run_id, source)
  )`,
  `create table _elt.document_table_counts (
    run_id uuid not null,
    source text not null,
    table_name text not null,
    inserted bigint not null default 0,
    updated bigint not null default 0,
    deleted bigint not null default 0,
    unchanged bigint not null default 0,
    primary key (run_id, source, table_name)
  )`,
  `create table _elt.document_marks (
    source text primary key,
    field text not null,
    mark timestamptz not null,
    run_id uuid not null,
    updated_at timestamptz not null default now()
  )`,
  `create schema if not exists _elt_audit`,
  `create table _elt_audit.rejected_documents (
    run_id uuid not null,
    source text not null,
    document_id text,
    numero_ccb text,
    reasons text[] not null,
    document jsonb not null,
    rejected_at timestamptz not null default now()
  )`,
  `create index rejected_documents_run on _elt_audit.rejected_documents (run_id, source)`,
  // a load whose process is gone is marked 'abandoned' by the next one (run-liveness in @elt/core); pid and host say which it was
  `alter table _elt.document_loads add column pid int, add column host text`,
]

export async function migrateDocuments(client: pg.ClientBase): Promise<void> {
  await migrate(client, 'documents', migrations)
}
