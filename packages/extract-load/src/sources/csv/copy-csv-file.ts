import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import copyStreams from 'pg-copy-streams'
import { csvCopySql, quarantineCopySql } from './csv-copy-sql.ts'
import { CsvInputError } from './csv-input-error.ts'
import type { CsvColumn, CsvDialect } from './csv-source-options.ts'
import { explainCopyError } from './explain-copy-error.ts'
import { explainFileError } from './explain-file-error.ts'
import { fileDialect } from './file-dialect.ts'
import { GuardEndOfData } from './guard-end-of-data.ts'
import { lineAtOffset } from './line-at-offset.ts'
import { openCsvFile } from './open-csv-file.ts'
import { quarantineCsvRows } from './quarantine-csv-rows.ts'
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
 * glob's files go one after the other into the same table). Fast path: the file's bytes go to
 * `COPY … (FORMAT csv …)` untouched (gunzip and BOM aside), read with the file's own encoding when
 * the source's was detected (`fileDialect`). With `onRejected`: the quarantine path.
 * A failure caused by the file's content is a {@link CsvInputError} naming file, line and column;
 * any other failure (connection lost, …) is rethrown as it is.
 *
 * ```ts
 * await client.query('begin')
 * for (const file of files) await copyCsvFile(client, { table: '"raw"."sales"', file, columns, dialect })
 * // COPY "raw"."sales" ("id", …) FROM STDIN (FORMAT csv, HEADER MATCH, DELIMITER E',', …)
 * ```
 */
export async function copyCsvFile(client: pg.ClientBase, options: CopyCsvFileOptions): Promise<{ rows: number; bytes: number }> {
  const { table, file, columns, onRejected } = options
  const dialect = await fileDialect(file, options.dialect)
  const freeze = options.freeze ? { freeze: true } : {}
  const opened = openCsvFile(file)
  const into = client.query(copyStreams.from(onRejected ? quarantineCopySql(table, columns, freeze) : csvCopySql(table, columns, dialect, freeze)))
  const signal = options.signal ? { signal: options.signal } : {}
  const quarantine = onRejected ? quarantineCsvRows(opened.stream, { file, columns, dialect, onRejected }) : undefined
  try {
    if (quarantine) await pipeline(quarantine.stream, into, signal)
    else await pipeline(opened.stream, new GuardEndOfData((offset) => new EndOfDataLine(offset)), into, signal)
  } catch (error) {
    if (error instanceof EndOfDataLine) throw await endOfDataError(file, error.offset)
    if (error instanceof CsvInputError) throw error
    // Quarantine sends COPY text, whose lines count rows sent: map them back to the file's.
    throw explainFileError(error, file) ?? explainCopyError(error, file, columns, dialect, quarantine?.fileLine) ?? error
  }
  return { rows: into.rowCount, bytes: opened.bytes() }
}

/** The guard's signal: a `\.` line at `offset` (turned into a CsvInputError with its line once the streams are closed). */
class EndOfDataLine extends Error {
  constructor(readonly offset: number) {
    super(`a line \\. at byte ${offset}`)
  }
}

async function endOfDataError(file: string, offset: number): Promise<CsvInputError> {
  const line = await lineAtOffset(file, offset)
  return new CsvInputError(`${file}, line ${line}: the line is \\. alone, which PostgreSQL's COPY reads as the end of the data (the rows after it would be lost).`, {
    file,
    line,
    problem: 'end-of-data',
    hint: "Quote the value (\"\\.\") in the file, or set onError: 'quarantine' (the file is then parsed in Node, where \\. is a value).",
  })
}
