import type pg from 'pg'
import { qualifiedName, quoteIdent, replaceRelation, withLockWait, type LockWaitPolicy } from '@elt/core'
import type { ModelRelation } from '../define/relation.ts'
import { relationColumns, relationKind } from './relation-catalog.ts'
import { inTransaction } from './in-transaction.ts'

export interface MaterializeRequest {
  model: ModelRelation<any, any>
  schema: string
  /** The model's compiled select. */
  sql: string
  /** Rebuild incremental models from scratch. */
  fullRefresh: boolean
  /** How long replacing a view or swapping a table waits for sessions reading it (default `defaultLockWaitPolicy`: about 30 s). */
  lockWait?: Partial<LockWaitPolicy>
  /** The raw tables upstream of the model (`schema.table`): `incremental.changedSince: 'source'` reads their latest window. */
  upstreamSources?: readonly string[]
}

export interface MaterializeResult {
  /** Rows written (tables, incremental upserts); null for views. */
  rowsAffected: number | null
}

/** Builds one model in the warehouse according to its materialization. Ephemeral models build nothing. */
export async function materializeModel(client: pg.ClientBase, request: MaterializeRequest): Promise<MaterializeResult> {
  switch (request.model.materialized) {
    case 'view':
      return materializeView(client, request)
    case 'table':
      return materializeTable(client, request)
    case 'incremental':
      return materializeIncremental(client, request)
    case 'ephemeral':
      return { rowsAffected: null }
  }
}

/**
 * `create or replace view`; when the columns changed in a way Postgres refuses (a column removed
 * or renamed), or a table stood there, the old relation is replaced and its dependent views recreated,
 * all in one transaction (see `replaceRelation`). Either way the wait for sessions reading the old
 * view is bounded (`withLockWait`) and names them when it gives up.
 *
 * ```sql
 * begin; savepoint elt_lock_wait; set local lock_timeout = 1000;
 * create or replace view "analytics"."stg_films" as select … from "raw"."films" as "films";
 * release savepoint elt_lock_wait; commit;
 * ```
 */
export async function materializeView(client: pg.ClientBase, { model, schema, sql, lockWait }: MaterializeRequest): Promise<MaterializeResult> {
  const target = qualifiedName(schema, model.name)
  try {
    // the common case: a new view, or one whose columns only grew
    await inTransaction(client, () =>
      withLockWait(client, { what: `replace ${target}`, relations: () => [target], policy: lockWait }, () => client.query(`create or replace view ${target} as ${sql}`)),
    )
    return { rowsAffected: null }
  } catch (error) {
    if (!isShapeChange(error)) throw error
  }
  await inTransaction(client, () =>
    replaceRelation(client, { schema, name: model.name, lockWait, install: async () => void (await client.query(`create view ${target} as ${sql}`)) }),
  )
  return { rowsAffected: null }
}

/**
 * Builds `<name>__next` outside any lock, then swaps it in one short transaction, so readers
 * see the old table or the new one, never a half-built one. `replaceRelation` (`@elt/core`) keeps
 * the old table's owner, grants and comments and recreates its dependent views (not dropped with
 * CASCADE); it waits for readers of the old table a bounded time, then fails naming them.
 *
 * ```sql
 * drop table if exists "analytics"."film_ratings__next";
 * create table "analytics"."film_ratings__next" as select …;
 * begin; drop table "analytics"."film_ratings"; alter table "analytics"."film_ratings__next" rename to "film_ratings"; commit;
 * ```
 */
export async function materializeTable(client: pg.ClientBase, request: MaterializeRequest, uniqueKey?: readonly string[]): Promise<MaterializeResult> {
  const { model, schema, sql } = request
  const next = `${model.name}__next`
  await client.query(`drop table if exists ${qualifiedName(schema, next)}`)
  const created = await client.query(`create table ${qualifiedName(schema, next)} as ${sql}`)
  if (uniqueKey?.length) {
    await client.query(`create unique index ${quoteIdent(`${next}__key`)} on ${qualifiedName(schema, next)} (${uniqueKey.map(quoteIdent).join(', ')})`)
  }
  try {
    await inTransaction(client, () =>
      replaceRelation(client, {
        schema,
        name: model.name,
        lockWait: request.lockWait,
        install: async () => {
          await client.query(`alter table ${qualifiedName(schema, next)} rename to ${quoteIdent(model.name)}`)
          if (uniqueKey?.length) await client.query(`alter index ${qualifiedName(schema, `${next}__key`)} rename to ${quoteIdent(`${model.name}__key`)}`)
        },
      }),
    )
  } catch (error) {
    await client.query(`drop table if exists ${qualifiedName(schema, next)}`).catch(() => {})
    throw error
  }
  return { rowsAffected: created.rowCount ?? 0 }
}

/**
 * First build (or `--full-refresh`): like a table, plus a unique index on the key. Later builds
 * upsert only the new rows: those whose `newerThan` column exceeds the current maximum.
 *
 * ```sql
 * insert into "analytics"."user_signups" ("user_id", "email")
 * select "user_id", "email" from (select …) as "new"
 * where (select max("user_id") from "analytics"."user_signups") is null
 *    or "new"."user_id" > (select max("user_id") from "analytics"."user_signups")
 * on conflict ("user_id") do update set "email" = excluded."email"
 * ```
 */
export async function materializeIncremental(client: pg.ClientBase, request: MaterializeRequest): Promise<MaterializeResult> {
  const { model, schema, sql, fullRefresh } = request
  const spec = model.incremental!
  const keys = spec.uniqueKey as readonly string[]
  if (fullRefresh || (await relationKind(client, schema, model.name)) !== 'r') return materializeTable(client, request, keys)
  const target = qualifiedName(schema, model.name)
  const columns = await relationColumns(client, schema, model.name)
  const list = columns.map(quoteIdent).join(', ')
  const updates = columns.filter((c) => !keys.includes(c)).map((c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`)
  const window = spec.changedSince === 'source' && spec.newerThan ? await latestSourceWindow(client, request.upstreamSources ?? []) : undefined
  if (window === 'unchanged') return { rowsAffected: 0 } // nothing upstream changed in the latest replication: nothing to read
  const newer = !spec.newerThan
    ? ''
    : window !== undefined
      ? ` where "new".${quoteIdent(spec.newerThan)} > ${await leastOf(client, target, spec.newerThan, window)}`
      : ` where (select max(${quoteIdent(spec.newerThan)}) from ${target}) is null or "new".${quoteIdent(spec.newerThan)} > (select max(${quoteIdent(spec.newerThan)}) from ${target})`
  const conflict = updates.length ? `do update set ${updates.join(', ')}` : 'do nothing'
  const result = await client.query(
    `insert into ${target} (${list}) select ${list} from (${sql}) as "new"${newer} on conflict (${keys.map(quoteIdent).join(', ')}) ${conflict}`,
  )
  return { rowsAffected: result.rowCount ?? 0 }
}

/**
 * `incremental.changedSince: 'source'`: the earliest window start (text of the first cursor value)
 * among the raw tables `upstream` in the latest successful replication; `'unchanged'` when none of
 * them received changes in it; undefined (use `max(newerThan)`) when one was copied whole, has no
 * window, or nothing is recorded.
 *
 * ```sql
 * select c.full_copy, c.from_mark->>0 as start, c.inserted + c.updated + c.deleted as moved from _elt.table_changes c
 *  where c.run_id = (latest successful replication) and c.target_table = any($1)
 * ```
 */
async function latestSourceWindow(client: pg.ClientBase, upstream: readonly string[]): Promise<string[] | 'unchanged' | undefined> {
  if (upstream.length === 0) return undefined
  const { rows: exists } = await client.query<{ ok: boolean }>(`select to_regclass('_elt.table_changes') is not null as ok`)
  if (!exists[0]?.ok) return undefined
  const { rows } = await client.query<{ full_copy: boolean; start: string | null; moved: string }>(
    `select c.full_copy, c.from_mark->>0 as start, (c.inserted + c.updated + c.deleted)::text as moved from _elt.table_changes c
      where c.run_id = (select r.run_id from _elt.replications r where r.status = 'success' order by r.finished_at desc nulls last limit 1)
        and c.target_table = any($1)`,
    [upstream],
  )
  const changed = rows.filter((r) => r.full_copy || r.moved !== '0')
  if (rows.length > 0 && changed.length === 0) return 'unchanged'
  if (changed.length === 0 || changed.some((r) => r.full_copy || r.start === null)) return undefined
  return changed.map((r) => r.start!)
}

/**
 * The earliest of `starts` as a literal of the model column's type (`format_type`), compared by the server:
 * `least('2026-12-01 11:30:00+00'::timestamp with time zone, …)`.
 */
async function leastOf(client: pg.ClientBase, table: string, column: string, starts: readonly string[]): Promise<string> {
  const { rows } = await client.query<{ type: string }>(`select format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = $1::regclass and attname = $2`, [table, column])
  const type = rows[0]?.type ?? 'text'
  return `least(${starts.map((s) => `'${s.replace(/'/g, "''")}'::${type}`).join(', ')})`
}

/**
 * Postgres refuses `create or replace view` when columns are removed, renamed or retyped
 * (42P16, 42804) or when a table of that name stands there (42809 "is not a view").
 */
function isShapeChange(error: unknown): boolean {
  const code = (error as { code?: string }).code
  return code === '42P16' || code === '42804' || code === '42809'
}
