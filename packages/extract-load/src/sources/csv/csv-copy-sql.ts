import { quoteIdent } from '@elt/core'
import type { CopyFormat } from '../source-reader.ts'
import { copyFromSql } from '../../write/copy-from-sql.ts'
import { copyEncodingName } from './csv-encoding.ts'
import type { CsvColumn, CsvDialect } from './csv-source-options.ts'

/**
 * The COPY statement that lets PostgreSQL parse a CSV file's bytes as they are: header checked
 * against the column names (`HEADER MATCH`, so each file of a glob must have the same header),
 * the file's delimiter, quote, escape and encoding, and an empty field NULL whether quoted or not
 * (`NULL ''` + `FORCE_NULL`). `table` is an already quoted name (`qualifiedName('raw', shadow)`);
 * `freeze` when the table was created in the same transaction.
 *
 * ```ts
 * csvCopySql('"raw"."sales"', [{ name: 'id', … }, { name: 'Amount €', … }], dialect)
 * // COPY "raw"."sales" ("id", "Amount €") FROM STDIN (FORMAT csv, HEADER MATCH, DELIMITER E';', QUOTE E'"', ESCAPE E'"',
 * //   ENCODING 'UTF8', NULL '', FORCE_NULL ("id", "Amount €"))
 * ```
 */
export function csvCopySql(table: string, columns: readonly Pick<CsvColumn, 'name'>[], dialect: CsvDialect, options: { freeze?: boolean } = {}): string {
  return copyFromSql(table, columns.map((c) => c.name), csvCopyFormat(dialect), options)
}

/** The COPY format of a CSV source's file read as it is (see {@link csvCopySql}). */
export function csvCopyFormat(dialect: CsvDialect): Extract<CopyFormat, { kind: 'csv' }> {
  return {
    kind: 'csv',
    header: 'match',
    delimiter: dialect.delimiter,
    quote: dialect.quote,
    escape: dialect.escape,
    // Windows-1252 with bytes PostgreSQL's WIN1252 rejects: decoded in Node, sent as UTF-8 (see `decodeInNode`)
    encoding: dialect.decodeInNode ? 'UTF8' : copyEncodingName(dialect.encoding),
    null: '',
    forceNull: true,
  }
}

/**
 * The COPY statement of the quarantine path, where Node has parsed and checked the rows and sends
 * the good ones in COPY's text format (UTF-8, `\N` for NULL).
 *
 * ```ts
 * quarantineCopySql('"raw"."sales"', columns) // COPY "raw"."sales" ("id", "amount") FROM STDIN (FORMAT text, ENCODING 'UTF8')
 * ```
 */
export function quarantineCopySql(table: string, columns: readonly Pick<CsvColumn, 'name'>[], options: { freeze?: boolean } = {}): string {
  const names = columns.map((c) => quoteIdent(c.name)).join(', ')
  return `COPY ${table} (${names}) FROM STDIN (FORMAT text, ENCODING 'UTF8'${options.freeze ? ', FREEZE' : ''})`
}
