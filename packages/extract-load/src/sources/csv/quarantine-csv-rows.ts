import { pipeline, Readable } from 'node:stream'
import type { CsvError } from 'csv-parse'
import { copyTextRow } from './copy-text-row.ts'
import { createCsvParser, type CsvParsedRecord } from './create-csv-parser.ts'
import { CsvInputError } from './csv-input-error.ts'
import type { CsvColumn, CsvDialect } from './csv-source-options.ts'
import { csvValueValidator } from './csv-value-validator.ts'
import type { RejectedCsvRow } from './rejected-rows.ts'

/** Rows of COPY text gathered before one push downstream. */
const batchChars = 64 * 1024

/**
 * The quarantine path of a CSV file: parses `input` (the file's bytes, as `openCsvFile` gives
 * them) in Node and returns a stream of the good rows in COPY's text format (for
 * `quarantineCopySql`), handing each bad row to `onRejected` — a ragged row, a malformed quote,
 * or a value that does not fit a DECLARED column's type. A value that does not fit an INFERRED
 * column fails the stream with a `CsvInputError` (problem `type`), so the caller widens that
 * column and loads again, as on the fast path. Memory stays flat: rows go out in 64 KiB batches
 * as COPY reads them, and `onRejected` is awaited (batch your writes there).
 *
 * ```ts
 * const { stream } = openCsvFile(file)
 * const good = quarantineCsvRows(stream, { file, columns, dialect, onRejected: (row) => rejected.add(row) })
 * await pipeline(good, client.query(copyFrom(quarantineCopySql(table, columns))))
 * ```
 */
export function quarantineCsvRows(
  input: Readable,
  options: { file: string; columns: readonly CsvColumn[]; dialect: CsvDialect; onRejected: (row: RejectedCsvRow) => void | Promise<void> },
): Readable {
  return Readable.from(goodRows(input, options), { objectMode: false })
}

async function* goodRows(
  input: Readable,
  { file, columns, dialect, onRejected }: Parameters<typeof quarantineCsvRows>[1],
): AsyncGenerator<string> {
  const skipped: RejectedCsvRow[] = []
  let fatal: Error | undefined
  const parser = createCsvParser(dialect, {
    raw: true,
    onSkip: (error, raw = '') => {
      const csvError = error as CsvError | undefined
      const lines = Number(csvError?.lines ?? 0)
      if (csvError?.code === 'CSV_MAX_RECORD_SIZE') {
        fatal = new CsvInputError(`${file}: a record past line ${lines} is longer than 64 MiB.`, {
          file,
          line: lines,
          problem: 'quote',
          hint: 'Probably a quoted field that is never closed: fix the quote, or set quote/escape in the source config.',
        })
        return
      }
      const newlines = raw.match(/\n/g)?.length ?? 0
      skipped.push({ file, line: lines - newlines + (raw.endsWith('\n') ? 1 : 0), raw: trimEnd(raw), reason: `malformed: ${csvError?.message ?? 'unreadable record'}` })
    },
  })
  pipeline(input, parser, () => {}) // an error on either side destroys both; the loop below sees it
  const validators = columns.map((c) => csvValueValidator(c.type))
  let previousEnd = 0
  let header = true
  let batch = ''
  try {
    for await (const { record, info, raw = '' } of parser as AsyncIterable<CsvParsedRecord>) {
      if (fatal) throw fatal
      for (const row of skipped.splice(0)) await onRejected(row)
      const line = previousEnd + 1
      previousEnd = info.lines
      if (header) {
        header = false
        checkHeader(record, columns, file)
        continue
      }
      const values: (string | null)[] = []
      let reason: string | undefined
      if (record.length !== columns.length) {
        reason = `ragged row: ${record.length} fields, the header has ${columns.length}`
      } else {
        for (let i = 0; i < columns.length && reason === undefined; i++) {
          const value = record[i] as string
          const column = columns[i] as CsvColumn
          if (value === '') {
            values.push(null)
          } else if (validators[i]?.(value) === false) {
            if (column.inferred) throw lateValue(file, line, column, value)
            reason = `column "${column.name}": ${JSON.stringify(value)} is not a valid ${column.type}`
          } else {
            values.push(value)
          }
        }
      }
      if (reason !== undefined) {
        await onRejected({ file, line, raw: trimEnd(raw), reason })
        continue
      }
      batch += copyTextRow(values)
      if (batch.length >= batchChars) {
        yield batch
        batch = ''
      }
    }
    if (fatal) throw fatal
    for (const row of skipped.splice(0)) await onRejected(row)
    if (batch !== '') yield batch
  } finally {
    parser.destroy()
    input.destroy()
  }
}

function checkHeader(record: readonly string[], columns: readonly CsvColumn[], file: string): void {
  const expected = columns.map((c) => c.name)
  if (record.length === expected.length && record.every((name, i) => name === expected[i])) return
  throw new CsvInputError(`${file}: its header does not match the table's columns (got ${JSON.stringify(record)}, expected ${JSON.stringify(expected)}).`, {
    file,
    line: 1,
    problem: 'header',
    hint: 'Every file of a CSV source must have the same header row as the first file, names and order included.',
  })
}

function lateValue(file: string, line: number, column: CsvColumn, value: string): CsvInputError {
  return new CsvInputError(`${file}, line ${line}, column "${column.name}": ${JSON.stringify(value)} is not a valid ${column.type}.`, {
    file,
    line,
    column: column.name,
    value,
    problem: 'type',
    hint: `The type ${column.type} was inferred from the first rows; declare the column's type in the source config.`,
  })
}

/** A record's raw text without its line break. */
function trimEnd(raw: string): string {
  return raw.replace(/\r?\n$/, '')
}
