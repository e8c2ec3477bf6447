import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import copyStreams from 'pg-copy-streams'
import { copyFromSql } from '../../write/copy-from-sql.ts'
import { quarantineCopySql } from './csv-copy-sql.ts'
import type { CsvColumn, CsvDialect } from './csv-source-options.ts'
import { openCsvPart } from './open-csv-part.ts'
import type { RejectedCsvRow } from './rejected-rows.ts'

export interface CopyCsvFileOptions {
  /** The destination table, already quoted (`qualifiedName('raw', shadow)`); it has `columns`. */
  table: string
  file: string
  columns: readonly CsvColumn[]
  dialect: CsvDialect
  /** The table was created in this transaction: `COPY … FREEZE`. */
  freeze?: boolean
  /** Quarantine mode: parse in Node, hand bad rows here, COPY the good ones. Unset: PostgreSQL parses the file. */
  onRejected?: (row: RejectedCsvRow) => void | Promise<void>
  signal?: AbortSignal
}

/**
 * Loads one CSV file into `table` on `client` (one COPY; the caller owns the transaction, so a
 * glob's files go one after the other into the same table), as the CSV reader's parts do
 * ({@link openCsvPart}): fast path, or with `onRejected` the quarantine path. A failure caused by
 * the file's content is a `CsvInputError` naming file, line and column; any other failure
 * (connection lost, …) is rethrown as it is. The connection stays usable (COPY is failed, not closed).
 *
 * ```ts
 * await client.query('begin')
 * for (const file of files) await copyCsvFile(client, { table: '"raw"."sales"', file, columns, dialect })
 * // COPY "raw"."sales" ("id", …) FROM STDIN (FORMAT csv, HEADER MATCH, DELIMITER E',', …)
 * ```
 */
export async function copyCsvFile(client: pg.ClientBase, options: CopyCsvFileOptions): Promise<{ rows: number; bytes: number }> {
  const { table, file, columns, onRejected } = options
  const freeze = options.freeze ? { freeze: true } : {}
  const part = await openCsvPart(file, { columns, dialect: options.dialect, ...(onRejected ? { onRejected } : {}) })
  const sql = part.format.kind === 'csv' ? copyFromSql(table, columns.map((c) => c.name), part.format, freeze) : quarantineCopySql(table, columns, freeze)
  const into = client.query(copyStreams.from(sql))
  try {
    await pipeline(part.stream, into, options.signal ? { signal: options.signal } : {})
  } catch (error) {
    throw (await part.explain(error)) ?? error
  }
  return { rows: into.rowCount, bytes: part.bytes() }
}
