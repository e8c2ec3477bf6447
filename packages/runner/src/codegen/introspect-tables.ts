import type pg from 'pg'

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
 * Reads the tables of one schema (e.g. `raw`) with their columns in order.
 *
 * ```sql
 * select c.relname, a.attname, … from pg_attribute a join pg_class c … where n.nspname = $1 and c.relkind in ('r', 'p', 'v', 'm')
 * ```
 */
export async function introspectTables(client: pg.ClientBase, schema: string): Promise<IntrospectedTable[]> {
  const { rows } = await client.query<{
    table: string
    column: string
    type: string
    category: string
    element: string | null
    nullable: boolean
    enum_values: string[] | null
  }>(
    `select c.relname as "table", a.attname as "column",
            coalesce(bt.typname, t.typname) as type, coalesce(bt.typcategory, t.typcategory) as category,
            et.typname as element, not a.attnotnull as nullable,
            (select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_enum e where e.enumtypid = coalesce(bt.oid, t.oid)) as enum_values
     from pg_attribute a
     join pg_class c on c.oid = a.attrelid
     join pg_namespace n on n.oid = c.relnamespace
     join pg_type t on t.oid = a.atttypid
     left join pg_type bt on t.typtype = 'd' and bt.oid = t.typbasetype
     left join pg_type et on et.oid = coalesce(bt.typelem, t.typelem) and coalesce(bt.typcategory, t.typcategory) = 'A'
     where n.nspname = $1 and c.relkind in ('r', 'p', 'v', 'm') and not c.relispartition
       and a.attnum > 0 and not a.attisdropped
     order by c.relname, a.attnum`,
    [schema],
  )
  const tables = new Map<string, IntrospectedTable>()
  for (const row of rows) {
    let table = tables.get(row.table)
    if (!table) tables.set(row.table, (table = { schema, name: row.table, columns: [] }))
    table.columns.push({
      name: row.column,
      type: row.type,
      category: row.category,
      elementType: row.element,
      nullable: row.nullable,
      enumValues: row.enum_values,
    })
  }
  return [...tables.values()]
}
