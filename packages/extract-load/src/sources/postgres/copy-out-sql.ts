import { qualifiedName, quoteIdent } from '@elt/core'
import { copiedColumns } from '../../ddl/table-ddl.ts'
import type { TableDef } from '../../introspect/catalog.ts'
import type { CopyFormat } from '../source-reader.ts'

/** PostgreSQL's own CSV (`COPY … TO STDOUT (FORMAT csv, HEADER)`): an empty string is `""`, NULL is nothing. */
export const postgresCsvFormat: CopyFormat = { kind: 'csv', header: 'match', delimiter: ',', quote: '"', escape: '"', encoding: 'UTF8', null: '' }

/**
 * The `COPY … TO STDOUT` of a source table: all non-generated columns in the source's order
 * (the destination computes generated ones); a partitioned table through a query (COPY of a
 * partitioned table itself is not allowed in 15).
 *
 * ```sql
 * COPY "public"."films" ("film_id", "title", …) TO STDOUT (FORMAT binary)
 * COPY (SELECT "payment_id", … FROM "public"."payment") TO STDOUT (FORMAT csv, HEADER)
 * COPY (SELECT "order_id", … FROM "public"."orders" WHERE ("updated_at") > (…)) TO STDOUT (FORMAT binary)   -- a cursor window
 * COPY (SELECT "order_id" FROM "public"."orders" ORDER BY "order_id") TO STDOUT (FORMAT binary)             -- compare-keys
 * ```
 */
export function copyOutSql(table: TableDef, format: CopyFormat['kind'], options: { where?: string; columns?: readonly string[]; orderBy?: string } = {}): string {
  const columns = (options.columns ?? copiedColumns(table)).map(quoteIdent).join(', ')
  const list = columns === '' ? '' : ` (${columns})` // a table without columns still has rows
  const source = qualifiedName(table.schema, table.name)
  const copyOptions = format === 'csv' ? 'FORMAT csv, HEADER' : `FORMAT ${format}`
  const where = (options.where ? ` ${options.where}` : '') + (options.orderBy ? ` ORDER BY ${options.orderBy}` : '')
  return table.partitionKey === null && where === '' && options.columns === undefined
    ? `COPY ${source}${list} TO STDOUT (${copyOptions})`
    : `COPY (SELECT ${columns} FROM ${source}${where}) TO STDOUT (${copyOptions})`
}
