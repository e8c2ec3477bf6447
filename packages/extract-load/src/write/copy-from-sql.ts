import { quoteIdent } from '@elt/core'
import type { CopyFormat } from '../sources/source-reader.ts'

/** A one-character COPY option value as an `E''` literal, whatever `standard_conforming_strings` says. */
function literal(value: string): string {
  return `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\t/g, '\\t')}'`
}

/**
 * The `COPY … FROM STDIN` statement for a part in `format`. `table` is already quoted
 * (`qualifiedName('raw', shadow)`); `freeze` when the table was created in this transaction.
 *
 * ```ts
 * copyFromSql('"raw"."elt_new_3f2a9c01d4"', ['film_id', 'title'], { kind: 'binary' }, { freeze: true })
 * // COPY "raw"."elt_new_3f2a9c01d4" ("film_id", "title") FROM STDIN (FORMAT binary, FREEZE)
 * copyFromSql('"raw"."sales"', ['id', 'Amount €'], { kind: 'csv', header: 'match', delimiter: ';', quote: '"', escape: '"', encoding: 'UTF8', null: '', forceNull: true })
 * // COPY "raw"."sales" ("id", "Amount €") FROM STDIN (FORMAT csv, HEADER MATCH, DELIMITER E';', QUOTE E'"', ESCAPE E'"',
 * //   ENCODING 'UTF8', NULL '', FORCE_NULL ("id", "Amount €"))
 * ```
 */
export function copyFromSql(table: string, columns: readonly string[], format: CopyFormat, options: { freeze?: boolean } = {}): string {
  const names = columns.map(quoteIdent).join(', ')
  const list = names === '' ? '' : ` (${names})` // a table without columns still has rows
  const freeze = options.freeze ? ', FREEZE' : ''
  if (format.kind !== 'csv') return `COPY ${table}${list} FROM STDIN (FORMAT ${format.kind}${freeze})`
  return (
    `COPY ${table}${list} FROM STDIN (FORMAT csv${format.header === 'match' ? ', HEADER MATCH' : ''}, DELIMITER ${literal(format.delimiter)}, ` +
    `QUOTE ${literal(format.quote)}, ESCAPE ${literal(format.escape)}, ENCODING '${format.encoding}', NULL ${format.null === '' ? "''" : literal(format.null)}` +
    `${format.forceNull && names !== '' ? `, FORCE_NULL (${names})` : ''}${freeze})`
  )
}
