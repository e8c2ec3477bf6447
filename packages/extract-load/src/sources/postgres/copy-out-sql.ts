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
 * ```
 */
export function copyOutSql(table: TableDef, format: CopyFormat['kind']): string {
  const columns = copiedColumns(table).map(quoteIdent).join(', ')
  const list = columns === '' ? '' : ` (${columns})` // a table without columns still has rows
  const source = qualifiedName(table.schema, table.name)
  const options = format === 'csv' ? 'FORMAT csv, HEADER' : `FORMAT ${format}`
  return table.partitionKey === null ? `COPY ${source}${list} TO STDOUT (${options})` : `COPY (SELECT ${columns} FROM ${source}) TO STDOUT (${options})`
}
