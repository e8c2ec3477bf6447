import type pg from 'pg'
import { readColumns } from '../catalog/read-columns.ts'

export interface IntrospectedColumn {
  name: string
  /** Base type name after resolving domains, e.g. `int4`, `_text` for text[]. */
  type: string
  /** Postgres type category (`N` numeric, `S` string, `E` enum, `A` array…). */
  category: string
  /** Element type name for arrays. */
  elementType: string | null
  nullable: boolean
  /** Enum labels, for enum columns. */
  enumValues: string[] | null
}

export interface IntrospectedTable {
  schema: string
  name: string
  columns: IntrospectedColumn[]
}

/**
 * Reads the tables, views and materialized views of one schema (e.g. `raw`) with their columns
 * in order, through the one catalog column reader ({@link readColumns}).
 *
 * ```sql
 * select c.relname, a.attname, … from pg_attribute a join pg_class c … where n.nspname = $3 and c.relkind in ('r', 'p', 'v', 'm') and not c.relispartition
 * ```
 */
export async function introspectTables(client: pg.ClientBase, schema: string): Promise<IntrospectedTable[]> {
  const columns = await readColumns(client, { schema })
  return [...columns].map(([key, list]) => ({
    schema,
    name: key.slice(schema.length + 1),
    columns: list.map((c) => ({ name: c.name, type: c.baseType, category: c.category, elementType: c.elementType, nullable: c.nullable, enumValues: c.enumValues })),
  }))
}
