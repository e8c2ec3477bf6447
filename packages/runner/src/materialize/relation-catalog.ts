import type pg from 'pg'
import { qualifiedName } from '@elt/core'

/** `r` table, `v` view, `m` materialized view, `p` partitioned table; undefined when absent. */
export async function relationKind(client: pg.ClientBase, schema: string, name: string): Promise<string | undefined> {
  const { rows } = await client.query<{ kind: string }>(
    `select c.relkind as kind from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = $2`,
    [schema, name],
  )
  return rows[0]?.kind
}

/** Column names of a relation in their order. */
export async function relationColumns(client: pg.ClientBase, schema: string, name: string): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `select a.attname as name from pg_attribute a
     where a.attrelid = to_regclass($1) and a.attnum > 0 and not a.attisdropped order by a.attnum`,
    [qualifiedName(schema, name)],
  )
  return rows.map((r) => r.name)
}

/**
 * Column names and SQL types of many relations in one query, keyed by `schema.name`, in column order.
 *
 * ```sql
 * select n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a …
 * where (n.nspname, c.relname) in (select * from unnest($1::text[], $2::text[]))
 * ```
 */
export async function columnTypes(
  client: pg.ClientBase,
  relations: readonly { schema: string; name: string }[],
): Promise<Map<string, { name: string; type: string }[]>> {
  const { rows } = await client.query<{ schema: string; relation: string; name: string; type: string }>(
    `select n.nspname as schema, c.relname as relation, a.attname as name, format_type(a.atttypid, a.atttypmod) as type
     from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
     where (n.nspname, c.relname) in (select * from unnest($1::text[], $2::text[]))
       and a.attnum > 0 and not a.attisdropped
     order by n.nspname, c.relname, a.attnum`,
    [relations.map((r) => r.schema), relations.map((r) => r.name)],
  )
  const result = new Map<string, { name: string; type: string }[]>()
  for (const row of rows) {
    const key = `${row.schema}.${row.relation}`
    let list = result.get(key)
    if (!list) result.set(key, (list = []))
    list.push({ name: row.name, type: row.type })
  }
  return result
}
