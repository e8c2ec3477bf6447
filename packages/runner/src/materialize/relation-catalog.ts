import type pg from 'pg'
import { readColumns } from '../catalog/read-columns.ts'

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
  const columns = await readColumns(client, { relations: [{ schema, name }] })
  return (columns.get(`${schema}.${name}`) ?? []).map((c) => c.name)
}

/** Column names and SQL types (`format_type`) of many relations in one query, keyed by `schema.name`, in column order ({@link readColumns}). */
export async function columnTypes(
  client: pg.ClientBase,
  relations: readonly { schema: string; name: string }[],
): Promise<Map<string, { name: string; type: string }[]>> {
  const columns = await readColumns(client, { relations })
  return new Map([...columns].map(([key, list]) => [key, list.map((c) => ({ name: c.name, type: c.type }))]))
}
