import { quoteIdent } from '@elt/core'
import { mapSchema } from './schema-map.ts'

/**
 * SQL select-list for a type reference: `format_type()` plus the schema of the type
 * (of its element type for arrays) and that schema as `format_type` quotes it, so
 * {@link renderType} can map a user type of another schema to its destination schema.
 *
 * ```sql
 * format_type(a.atttypid, a.atttypmod) as type,
 * (select n.nspname from … where t0.oid = a.atttypid) as type_schema,
 * (select quote_ident(n.nspname) from … ) as type_prefix
 * ```
 */
export function typeRefSql(oid: string, typmod: string, alias: string): string {
  const base = (expr: string) => `(select ${expr} from pg_type t0
      join pg_type b0 on b0.oid = case when t0.typcategory = 'A' and t0.typelem <> 0 then t0.typelem else t0.oid end
      join pg_namespace n0 on n0.oid = b0.typnamespace where t0.oid = ${oid})`
  return `format_type(${oid}, ${typmod}) as ${alias}, ${base('n0.nspname')} as ${alias}_schema, ${base('quote_ident(n0.nspname)')} as ${alias}_prefix`
}

/**
 * The destination spelling of a type read with `search_path` = `contextSchema`:
 * built-in and same-schema types stay as `format_type` wrote them (the destination
 * DDL runs with `search_path` = the mapped schema); `other.mood[]` becomes `"raw_other".mood[]`.
 */
export function renderType(row: Record<string, unknown>, alias: string, contextSchema: string, targetSchema: string): string {
  const formatted = row[alias] as string
  const schema = row[`${alias}_schema`] as string
  const prefix = `${row[`${alias}_prefix`] as string}.`
  if (schema === 'pg_catalog' || schema === contextSchema || !formatted.startsWith(prefix)) return formatted
  return quoteIdent(mapSchema(schema, targetSchema)) + '.' + formatted.slice(prefix.length)
}
