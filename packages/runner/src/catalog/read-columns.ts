import type pg from 'pg'

/** A column of a warehouse relation as the catalog describes it. */
export interface CatalogColumn {
  name: string
  /** `format_type()`, e.g. `character varying(255)`, `numeric(5,2)`, `raw.mood[]`. */
  type: string
  nullable: boolean
  /** `COMMENT ON COLUMN`, or null. */
  description: string | null
  /** Base type name after resolving domains, e.g. `int4`, `_text` for `text[]`. */
  baseType: string
  /** PostgreSQL type category of the base type (`N` numeric, `S` string, `E` enum, `A` array…). */
  category: string
  /** Element type name for arrays. */
  elementType: string | null
  /** Enum labels in order, for enum columns. */
  enumValues: string[] | null
}

/** Which relations to read: the given ones, or every table, view and materialized view of a schema (partitions left out). */
export type ColumnSelection = { relations: readonly { schema: string; name: string }[] } | { schema: string }

/**
 * The one reader of warehouse columns (codegen's row types, the manifest's column types, the
 * dashboard's catalog): columns of many relations in one query, keyed by `schema.name`, in
 * column order. (Replication reads its source differently: `@elt/extract-load`'s `readTables`
 * reads what DDL needs — defaults, identity, collations — inside the run's snapshot.)
 *
 * ```sql
 * select n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), not a.attnotnull, col_description(c.oid, a.attnum), …
 *   from pg_attribute a join pg_class c … join pg_type t …
 *  where (n.nspname, c.relname) in (select * from unnest($1::text[], $2::text[]))          -- { relations }
 *     or (n.nspname = $3 and c.relkind in ('r', 'p', 'v', 'm') and not c.relispartition)    -- { schema }
 * ```
 */
export async function readColumns(client: pg.ClientBase, selection: ColumnSelection): Promise<Map<string, CatalogColumn[]>> {
  const relations = 'relations' in selection ? selection.relations : null
  const result = new Map<string, CatalogColumn[]>()
  if (relations !== null && relations.length === 0) return result
  const { rows } = await client.query<{
    schema: string
    relation: string
    name: string
    type: string
    nullable: boolean
    description: string | null
    base_type: string
    category: string
    element_type: string | null
    enum_values: string[] | null
  }>(
    `select n.nspname as schema, c.relname as relation, a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
            not a.attnotnull as nullable, col_description(c.oid, a.attnum) as description,
            coalesce(bt.typname, t.typname) as base_type, coalesce(bt.typcategory, t.typcategory) as category, et.typname as element_type,
            (select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_catalog.pg_enum e where e.enumtypid = coalesce(bt.oid, t.oid)) as enum_values
       from pg_catalog.pg_attribute a
       join pg_catalog.pg_class c on c.oid = a.attrelid
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       join pg_catalog.pg_type t on t.oid = a.atttypid
       left join pg_catalog.pg_type bt on t.typtype = 'd' and bt.oid = t.typbasetype
       left join pg_catalog.pg_type et on et.oid = coalesce(bt.typelem, t.typelem) and coalesce(bt.typcategory, t.typcategory) = 'A'
      where a.attnum > 0 and not a.attisdropped
        and ((n.nspname, c.relname) in (select * from unnest($1::text[], $2::text[]))
             or (n.nspname = $3 and c.relkind in ('r', 'p', 'v', 'm') and not c.relispartition))
      order by n.nspname, c.relname, a.attnum`,
    [relations?.map((r) => r.schema) ?? [], relations?.map((r) => r.name) ?? [], 'schema' in selection ? selection.schema : null],
  )
  for (const row of rows) {
    const key = `${row.schema}.${row.relation}`
    let list = result.get(key)
    if (!list) result.set(key, (list = []))
    list.push({
      name: row.name,
      type: row.type,
      nullable: row.nullable,
      description: row.description,
      baseType: row.base_type,
      category: row.category,
      elementType: row.element_type,
      enumValues: row.enum_values,
    })
  }
  return result
}
