import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream'
import { CsvInputError } from './csv-input-error.ts'
import type { CsvColumn, CsvDialect } from './csv-source-options.ts'
import { inferredTypeHolds, widenCsvType } from './widen-csv-type.ts'

/** Types whose PostgreSQL input function silently accepts (and changes) values inference would type wider. */
const guardedTypes: ReadonlySet<string> = new Set(['date', 'timestamp', 'timestamptz'])
/** A date or timestamp is at most ~35 bytes; a longer field is kept to this length (still not temporal). */
const valueCap = 64
const LF = 10
const CR = 13

/**
 * The fast path's guard for INFERRED `date`, `timestamp` and `timestamptz` columns: PostgreSQL's
 * COPY would accept a later `2024-01-01 10:00` into a `date` (dropping the time) or
 * `2024-01-01 10:00:00+02` into a `timestamp` (ignoring the offset) without an error, so the
 * widening retry would never run. This scans the CSV bytes on their way to COPY — only those
 * columns' fields are collected, quotes, escapes and newlines inside quoted fields respected as
 * PostgreSQL's CSV parser does (the header row skipped) — and fails the stream, before the row
 * reaches PostgreSQL, with a `CsvInputError` (`problem: 'type'`, file, line, column, value) for the
 * first value the column's type does not hold as inference types it ({@link inferredTypeHolds});
 * the reader then widens the column (`date` → `timestamp`, …) and the load runs again. Declared
 * columns are not guarded (the user's type, PostgreSQL's semantics). Returns `stream` itself when
 * no column needs the guard, so a file without inferred dates pays nothing.
 *
 * ```ts
 * const guarded = guardInferredTemporal(bytes, { file: 'data/a.csv', columns, dialect })
 * await pipeline(guarded, client.query(copyFrom(csvCopySql(table, columns, dialect))))
 * // CsvInputError: data/a.csv, line 10002, column "day": "2024-01-01 10:00" is not a date as inferred …
 * ```
 */
export function guardInferredTemporal(
  stream: Readable,
  options: { file: string; columns: readonly CsvColumn[]; dialect: CsvDialect; /** The first record is a header (default). */ header?: boolean },
): Readable {
  const { file, columns, dialect } = options
  const guarded = columns.map((c) => (c.inferred && guardedTypes.has(c.type) ? c : undefined))
  if (!guarded.some(Boolean)) return stream
  const scanner = new TemporalFieldScanner(guarded, dialect, options.header ?? true, (column, value, line) => {
    const wider = widenCsvType(column.type, value) ?? 'text'
    return new CsvInputError(
      `${file}, line ${line}, column "${column.name}": ${JSON.stringify(value)} is not a ${column.type} as inferred from the first rows (PostgreSQL would accept it and change it); the column becomes ${wider}.`,
      {
        file,
        line,
        column: column.name,
        value,
        problem: 'type',
        hint: `Declare the column's type in the source config (columns: { ${JSON.stringify(column.name)}: '${wider}' }) to skip the reload.`,
      },
    )
  })
  // an error at either end destroys both
  return pipeline(stream, scanner, () => {})
}

/** A byte-level CSV field scanner that hands the guarded columns' values to a check, passing every chunk through untouched. */
class TemporalFieldScanner extends Transform {
  private readonly delimiter: number
  private readonly quote: number
  private readonly escape: number
  private readonly encoding: BufferEncoding
  private readonly value = Buffer.alloc(valueCap)
  private length = 0
  private field = 0
  private column: CsvColumn | undefined
  private inHeader: boolean
  private inQuote = false
  /** An escape byte ended the previous chunk inside a quoted field: its meaning depends on the next byte. */
  private pendingEscape = false
  private line = 1
  /** Stream offset of the last CR outside quotes (a CR LF ends one line, not two). */
  private crAt = -2
  private offset = 0

  constructor(
    private readonly guarded: readonly (CsvColumn | undefined)[],
    dialect: CsvDialect,
    header: boolean,
    private readonly mismatch: (column: CsvColumn, value: string, line: number) => Error,
  ) {
    super({ highWaterMark: 256 * 1024 })
    this.delimiter = dialect.delimiter.charCodeAt(0)
    this.quote = dialect.quote.charCodeAt(0)
    this.escape = dialect.escape.charCodeAt(0)
    this.encoding = dialect.encoding === 'latin1' ? 'latin1' : 'utf8'
    this.inHeader = header
    this.column = header ? undefined : guarded[0]
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const error = this.scan(chunk)
    this.offset += chunk.length
    callback(error, error ? undefined : chunk)
  }

  override _flush(callback: TransformCallback): void {
    // a last record without a final newline
    callback(this.inQuote ? null : this.endField())
  }

  private scan(chunk: Buffer): Error | null {
    const { delimiter, quote, escape } = this
    const n = chunk.length
    let i = 0
    if (this.pendingEscape) {
      this.pendingEscape = false
      const b = chunk[0]
      if (n > 0 && (b === quote || b === escape)) {
        this.push1(b!)
        i = 1
      } else if (escape === quote) this.inQuote = false // it was the closing quote
      else this.push1(escape) // a literal escape byte
    }
    for (; i < n; i++) {
      const b = chunk[i]!
      if (this.inQuote) {
        if (b === escape) {
          if (i + 1 === n) {
            this.pendingEscape = true
            continue
          }
          const next = chunk[i + 1]
          if (next === quote || next === escape) {
            this.push1(next)
            i++
            continue
          }
        }
        if (b === quote) this.inQuote = false
        else {
          if (b === LF) this.line++
          if (this.column) this.push1(b)
        }
        continue
      }
      if (b === delimiter) {
        const error = this.endField()
        if (error) return error
        this.startField(this.field + 1)
      } else if (b === LF || b === CR) {
        const at = this.offset + i
        if (b === LF && this.crAt === at - 1) continue
        if (b === CR) this.crAt = at
        const error = this.endField()
        if (error) return error
        this.line++
        this.inHeader = false
        this.startField(0)
      } else if (b === quote) this.inQuote = true
      else if (this.column) this.push1(b)
    }
    return null
  }

  private push1(b: number): void {
    if (this.length < valueCap) this.value[this.length++] = b
  }

  private startField(field: number): void {
    this.field = field
    this.length = 0
    this.column = this.inHeader ? undefined : this.guarded[field]
  }

  private endField(): Error | null {
    const column = this.column
    if (!column || this.length === 0) return null
    const value = this.value.toString(this.encoding, 0, this.length)
    return inferredTypeHolds(column.type, value) ? null : this.mismatch(column, value, this.line)
  }
}
