import { pipeline, Readable } from 'node:stream'
import { copyTextRow } from './copy-text-row.ts'
import { createCsvParser, withoutLineBreak, type CsvParsedRecord } from './create-csv-parser.ts'
import { CsvInputError } from './csv-input-error.ts'
import type { CsvColumn, CsvDialect } from './csv-source-options.ts'
import { csvValueValidator } from './csv-value-validator.ts'
import { isGuardedColumn } from './guard-inferred-types.ts'
import { guardLatin1Controls } from './guard-latin1-controls.ts'
import type { RejectedCsvRow } from './rejected-rows.ts'
import { inferredTypeHolds } from './widen-csv-type.ts'

/** Rows of COPY text gathered before one push downstream. */
const batchChars = 64 * 1024
/** Most line-map change points kept (two numbers each); past them a COPY error names the file without a line. */
const maxLineMapPoints = 1_000_000

/** The good rows as COPY text, and the file line of each row COPY counts (its CONTEXT line). */
export interface QuarantineStream {
  stream: Readable
  /** The file line of the `copyLine`-th row sent (1-based, as COPY's error CONTEXT counts), if known. */
  fileLine(copyLine: number): number | undefined
  /** Good rows sent so far (all of them once the stream has ended): what COPY must report loading. */
  rows(): number
}

/**
 * Maps the rows sent to their file lines with change points only: the gap between a row's number
 * and its file line changes at the header, at a rejected row and at a record spanning lines, so
 * memory grows with those, not with the rows.
 */
class LineMap {
  private readonly rows: number[] = []
  private readonly gaps: number[] = []
  private full = false

  record(row: number, line: number): void {
    const gap = line - row
    if (this.gaps[this.gaps.length - 1] === gap) return
    if (this.rows.length >= maxLineMapPoints) {
      this.full = true
      return
    }
    this.rows.push(row)
    this.gaps.push(gap)
  }

  lineOf(row: number): number | undefined {
    let lo = 0
    let hi = this.rows.length - 1
    if (hi < 0 || row < (this.rows[0] ?? Infinity)) return undefined
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((this.rows[mid] ?? 0) <= row) lo = mid
      else hi = mid - 1
    }
    if (this.full && lo === this.rows.length - 1) return undefined
    return row + (this.gaps[lo] ?? 0)
  }
}

/**
 * The quarantine path of a CSV file: parses `input` (the file's bytes, as `openCsvFile` gives
 * them) in Node and returns a stream of the good rows in COPY's text format (for
 * `quarantineCopySql`), handing each bad row to `onRejected` — a ragged row, a malformed quote,
 * or a value that does not fit a DECLARED column's type. A value that does not fit an INFERRED
 * column (or that an inferred column's type would silently change, as `guardInferredTypes`
 * stops on the fast path) fails the stream with a `CsvInputError` (problem `type`), so the caller widens that
 * column and loads again, as on the fast path; so does a 0x80–0x9F byte in a detected Latin-1 file
 * ({@link guardLatin1Controls}: the file loads again as Windows-1252). Memory stays flat: rows go out in 64 KiB batches
 * as COPY reads them, and `onRejected` is awaited (batch your writes there). `fileLine` turns the
 * line of a COPY error (which counts rows sent) back into the file's line.
 *
 * ```ts
 * const { stream } = openCsvFile(file)
 * const good = quarantineCsvRows(stream, { file, columns, dialect, onRejected: (row) => rejected.add(row) })
 * await pipeline(good.stream, client.query(copyFrom(quarantineCopySql(table, columns))))
 * ```
 */
export function quarantineCsvRows(input: Readable, options: QuarantineOptions): QuarantineStream {
  const lines = new LineMap()
  const counted = { rows: 0 }
  return {
    // a detected Latin-1 stops at a 0x80–0x9F byte here too, so the file reloads as Windows-1252
    stream: Readable.from(goodRows(guardLatin1Controls(input, options), options, lines, counted), { objectMode: false }),
    fileLine: (row) => lines.lineOf(row),
    rows: () => counted.rows,
  }
}

interface QuarantineOptions {
  file: string
  columns: readonly CsvColumn[]
  dialect: CsvDialect
  onRejected: (row: RejectedCsvRow) => void | Promise<void>
}

async function* goodRows(input: Readable, { file, columns, dialect, onRejected }: QuarantineOptions, lines: LineMap, counted: { rows: number }): AsyncGenerator<string> {
  const skipped: RejectedCsvRow[] = []
  let fatal: Error | undefined
  const parser = createCsvParser(dialect, {
    onSkip: (error, raw, line) => {
      if (error?.code === 'CSV_MAX_RECORD_SIZE') {
        fatal = new CsvInputError(`${file}: the record starting on line ${line} is longer than 64 MiB.`, {
          file,
          line,
          problem: 'quote',
          hint: 'Probably a quoted field that is never closed: fix the quote, or set quote/escape in the source config.',
        })
        return
      }
      skipped.push({ file, line, raw: withoutLineBreak(raw), reason: `malformed: ${error?.message ?? 'unreadable record'}` })
    },
  })
  pipeline(input, parser, () => {}) // an error on either side destroys both; the loop below sees it
  const validators = columns.map((c) => csvValueValidator(c.type))
  let header = true
  let batch = ''
  let sent = 0
  try {
    for await (const { record, line, raw } of parser as AsyncIterable<CsvParsedRecord>) {
      if (fatal) throw fatal
      for (const row of skipped.splice(0)) await onRejected(row)
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
          } else if (validators[i]?.(value) === false || (isGuardedColumn(column) && !inferredTypeHolds(column.type, value))) {
            if (column.inferred) throw lateValue(file, line, column, value)
            reason = `column "${column.name}": ${JSON.stringify(value)} is not a valid ${column.type}`
          } else {
            values.push(value)
          }
        }
      }
      if (reason !== undefined) {
        await onRejected({ file, line, raw: withoutLineBreak(raw), reason })
        continue
      }
      batch += copyTextRow(values)
      lines.record(++sent, line)
      counted.rows = sent
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
