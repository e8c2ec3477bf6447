import { quoteIdent } from '@elt/core'
import type { ColumnDef } from '../../introspect/catalog.ts'

/** Types without a default equality operator: compared by their text form (`json`, geometric types, `xml`). */
const noEquality = /^(json|xml|point|line|lseg|box|path|polygon|circle)(\[\])*$/

/** `"a"`, or `"doc"::text` for a type that cannot be compared with `=` / `IS DISTINCT FROM`. */
const comparable = (alias: string, column: Pick<ColumnDef, 'name' | 'type'>): string => {
  const ref = `${alias}.${quoteIdent(column.name)}`
  return noEquality.test(column.type) ? `${ref}::text` : ref
}

/**
 * `incremental`: one set-based upsert of the window (in `delta`) into the raw table by `key`; a row
 * whose values did not change is left alone (no new row version, not counted). Returns one row
 * with the counts (`xmax = 0`: the row was inserted, not updated).
 *
 * ```sql
 * WITH merged AS (
 *   INSERT INTO "raw"."orders" AS t ("order_id", "status", "updated_at") SELECT "order_id", "status", "updated_at" FROM pg_temp."elt_delta"
 *   ON CONFLICT ("order_id") DO UPDATE SET "status" = excluded."status", "updated_at" = excluded."updated_at"
 *   WHERE ROW(t."status", t."updated_at") IS DISTINCT FROM ROW(excluded."status", excluded."updated_at")
 *   RETURNING (t.xmax = 0) AS inserted
 * ) SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM merged
 * ```
 */
export function upsertSql(target: string, delta: string, columns: readonly Pick<ColumnDef, 'name' | 'type'>[], key: readonly string[]): string {
  const names = columns.map((c) => quoteIdent(c.name)).join(', ')
  const rest = columns.filter((c) => !key.includes(c.name))
  const action =
    rest.length === 0
      ? 'DO NOTHING'
      : `DO UPDATE SET ${rest.map((c) => `${quoteIdent(c.name)} = excluded.${quoteIdent(c.name)}`).join(', ')} ` +
        `WHERE ROW(${rest.map((c) => comparable('t', c)).join(', ')}) IS DISTINCT FROM ROW(${rest.map((c) => comparable('excluded', c)).join(', ')})`
  return (
    `WITH merged AS (INSERT INTO ${target} AS t (${names}) SELECT ${names} FROM ${delta} ` +
    `ON CONFLICT (${key.map(quoteIdent).join(', ')}) ${action} RETURNING (t.xmax = 0) AS inserted) ` +
    `SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated FROM merged`
  )
}

/**
 * `append`: inserts the window's rows; with a lookback (which reads rows again) a row equal in every
 * column to one already in the raw table at or after the window's first cursor value is skipped, so
 * nothing is appended twice.
 *
 * ```sql
 * INSERT INTO "raw"."events" ("event_id", "at", "payload") SELECT d."event_id", d."at", d."payload" FROM pg_temp."elt_delta" d
 *  WHERE NOT EXISTS (SELECT 1 FROM "raw"."events" t WHERE t."at" >= (SELECT min("at") FROM pg_temp."elt_delta")
 *    AND ROW(t."event_id", t."at", t."payload"::text) IS NOT DISTINCT FROM ROW(d."event_id", d."at", d."payload"::text))
 * ```
 */
export function appendSql(target: string, delta: string, columns: readonly Pick<ColumnDef, 'name' | 'type'>[], options: { skipPresentFrom?: string }): string {
  const names = columns.map((c) => quoteIdent(c.name)).join(', ')
  const select = `SELECT ${columns.map((c) => `d.${quoteIdent(c.name)}`).join(', ')} FROM ${delta} d`
  if (options.skipPresentFrom === undefined) return `INSERT INTO ${target} (${names}) ${select}`
  const cursor = quoteIdent(options.skipPresentFrom)
  const row = (alias: string) => `ROW(${columns.map((c) => comparable(alias, c)).join(', ')})`
  return (
    `INSERT INTO ${target} (${names}) ${select} WHERE NOT EXISTS (SELECT 1 FROM ${target} t WHERE t.${cursor} >= (SELECT min(${cursor}) FROM ${delta}) ` +
    `AND ${row('t')} IS NOT DISTINCT FROM ${row('d')})`
  )
}

/**
 * `deletes: 'compare-keys'`: removes the raw rows whose key the source no longer has (`keys` holds
 * every source key as of the snapshot): a key-only anti-join.
 *
 * ```sql
 * DELETE FROM "raw"."orders" t WHERE NOT EXISTS (SELECT 1 FROM pg_temp."elt_keys" k WHERE k."order_id" = t."order_id")
 * ```
 */
export function deleteMissingSql(target: string, keys: string, key: readonly string[]): string {
  return `DELETE FROM ${target} t WHERE NOT EXISTS (SELECT 1 FROM ${keys} k WHERE ${key.map((k) => `k.${quoteIdent(k)} = t.${quoteIdent(k)}`).join(' AND ')})`
}
