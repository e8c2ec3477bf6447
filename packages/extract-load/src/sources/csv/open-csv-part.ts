import { pipeline, type Readable } from 'node:stream'
import type { CopyFormat } from '../source-reader.ts'
import { csvCopyFormat } from './csv-copy-sql.ts'
import { bytesForCopy } from './csv-encoding.ts'
import { CsvInputError } from './csv-input-error.ts'
import type { CsvColumn, CsvDialect } from './csv-source-options.ts'
import { explainCopyError } from './explain-copy-error.ts'
import { explainFileError } from './explain-file-error.ts'
import { fileDialect } from './file-dialect.ts'
import { GuardEndOfData } from './guard-end-of-data.ts'
import { guardInferredTypes } from './guard-inferred-types.ts'
import { guardLatin1Controls } from './guard-latin1-controls.ts'
import { lineAtOffset } from './line-at-offset.ts'
import { openCsvFile } from './open-csv-file.ts'
import { quarantineCsvRows } from './quarantine-csv-rows.ts'
import type { RejectedCsvRow } from './rejected-rows.ts'

/** One CSV file ready for `COPY … FROM STDIN`: its bytes in `format`, and how to explain a failed COPY of them. */
export interface CsvPart {
  stream: Readable
  format: CopyFormat
  /** Bytes of the file passed on so far (uncompressed, after the BOM). */
  bytes(): number
  /** Rows sent, once the stream has ended, when Node counted them (the quarantine path); undefined when PostgreSQL parses the file. */
  rowsSent(): number | undefined
  /** The failure in the file's terms (file, line, column: a {@link CsvInputError}), or `undefined` when it is not about the file (connection lost). */
  explain(error: unknown): Promise<CsvInputError | undefined>
}

/**
 * Opens one file of a CSV source for COPY. Fast path: the file's bytes as they are (gunzip and BOM
 * aside; a `\.` line stopped, see {@link GuardEndOfData}; a later value that an inferred column's
 * type would silently change — `007` into an integer, `on` into a boolean, a time into a date — stopped,
 * see {@link guardInferredTypes}; a 0x80–0x9F byte in a detected Latin-1 file stopped so it reloads as
 * Windows-1252, see {@link guardLatin1Controls}; a Windows-1252 with bytes PostgreSQL cannot convert
 * decoded in Node, see {@link bytesForCopy}) in CSV format with `HEADER MATCH`, read
 * with the file's own encoding when the source's was detected (`fileDialect`). With `onRejected`,
 * the quarantine path: Node parses the rows, hands bad ones to `onRejected` and sends the good
 * ones in COPY text format.
 *
 * ```ts
 * const part = await openCsvPart('/repo/data/sales-01.csv.gz', { columns, dialect })
 * // part.format → { kind: 'csv', header: 'match', delimiter: ',', …, forceNull: true }
 * ```
 */
export async function openCsvPart(
  file: string,
  options: { columns: readonly CsvColumn[]; dialect: CsvDialect; onRejected?: (row: RejectedCsvRow) => void | Promise<void> },
): Promise<CsvPart> {
  const { columns, onRejected } = options
  const dialect = await fileDialect(file, options.dialect)
  const opened = openCsvFile(file)
  const quarantine = onRejected ? quarantineCsvRows(opened.stream, { file, columns, dialect, onRejected }) : undefined
  // an error at either end destroys both: destroying the part closes the file
  const stream = quarantine
    ? quarantine.stream
    : bytesForCopy(
        guardInferredTypes(guardLatin1Controls(pipeline(opened.stream, new GuardEndOfData((offset) => new EndOfDataLine(offset)), () => {}), { file, dialect }), {
          file,
          columns,
          dialect,
        }),
        dialect,
      )
  return {
    stream,
    format: quarantine ? { kind: 'text' } : csvCopyFormat(dialect),
    bytes: opened.bytes,
    rowsSent: () => quarantine?.rows(),
    async explain(error) {
      if (error instanceof EndOfDataLine) return endOfDataError(file, error.offset)
      if (error instanceof CsvInputError) return error
      // Quarantine sends COPY text, whose lines count rows sent: map them back to the file's.
      return explainFileError(error, file) ?? explainCopyError(error, file, columns, dialect, quarantine?.fileLine)
    },
  }
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
