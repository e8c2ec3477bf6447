import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream'
import { CsvInputError } from './csv-input-error.ts'
import type { CsvColumn, CsvDialect } from './csv-source-options.ts'
import type { CsvValueKind } from './classify-csv-value.ts'
import { temporalKindOfBytes } from './temporal-kind-of-bytes.ts'
import { inferredTypeHolds, inferredTypeKinds, widenCsvType } from './widen-csv-type.ts'

/** Types whose PostgreSQL input function silently accepts (and changes) values inference would type wider. */
const guardedTypes: ReadonlySet<string> = new Set(['date', 'timestamp', 'timestamptz'])
/** A date or timestamp is at most ~35 bytes; a longer field is kept to this length (still not temporal). */
const valueCap = 64
const LF = 10
const CR = 13

/**
 * Whether `column` is one the guard watches: an INFERRED `date`, `timestamp` or `timestamptz`
 * (the Node-parsing quarantine path checks the same columns with `inferredTypeHolds`).
 *
 * ```ts
 * isGuardedColumn({ name: 'day', type: 'date', inferred: true }) // true
 * ```
 */
export function isGuardedColumn(column: CsvColumn): boolean {
  return column.inferred && guardedTypes.has(column.type)
}

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
  const guarded = columns.map((c) => (isGuardedColumn(c) ? c : undefined))
  if (!guarded.some(Boolean)) return stream
  const scanner = new TemporalFieldScanner(guarded, dialect, options.header ?? true, (column, value, line) => {
    const wider = widenCsvType(column.type, value) ?? 'text'
    return new CsvInputError(
      `${file}, line ${line}, column "${column.name}": ${JSON.stringify(value)} is not a ${column.type} as inferred from the first rows (a value PostgreSQL may accept and change); the column becomes ${wider}.`,
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
  /** 1 for the bytes that matter outside quotes: delimiter, quote, LF, CR. */
  private readonly special = new Uint8Array(256)
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
  private readonly held = new Map<CsvColumn, ReadonlySet<CsvValueKind> | undefined>()

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
    for (const b of [this.delimiter, this.quote, LF, CR]) this.special[b] = 1
    this.inHeader = header
    this.column = header ? undefined : guarded[0]
    for (const c of guarded) if (c) this.held.set(c, inferredTypeKinds(c.type))
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const error = this.scan(chunk)
    this.offset += chunk.length
    callback(error, error ? undefined : chunk)
  }

  override _flush(callback: TransformCallback): void {
    // a last record without a final newline (its closing quote may be the stream's last byte)
    if (this.pendingEscape && this.escape === this.quote) this.inQuote = false
    callback(!this.inQuote && this.column && this.length > 0 ? this.check(this.column, this.length, this.line) : null)
  }

  /** One pass over `chunk`; the state lives in locals (the hot loop) and is saved at the end. */
  private scan(chunk: Buffer): Error | null {
    const { delimiter, quote, escape, guarded, value, special } = this
    const n = chunk.length
    let i = 0
    let inQuote = this.inQuote
    let column = this.column
    let length = this.length
    let line = this.line
    if (this.pendingEscape && n > 0) {
      this.pendingEscape = false
      const b = chunk[0]!
      if (b === quote || b === escape) {
        if (column && length < valueCap) value[length++] = b
        i = 1
      } else if (escape === quote) inQuote = false // it was the closing quote
      else if (column && length < valueCap) value[length++] = escape // a literal escape byte
    }
    let error: Error | null = null
    let field = this.field
    let inHeader = this.inHeader
    let crAt = this.crAt - this.offset // relative to this chunk
    for (; i < n; i++) {
      const b = chunk[i]!
      if (inQuote) {
        if (b === escape) {
          if (i + 1 === n) {
            this.pendingEscape = true
            break
          }
          const next = chunk[i + 1]!
          if (next === quote || next === escape) {
            if (column !== undefined && length < valueCap) value[length++] = next
            i++
            continue
          }
        }
        if (b === quote) inQuote = false
        else {
          if (b === LF) line++
          if (column !== undefined && length < valueCap) value[length++] = b
        }
      } else if (special[b] === 0) {
        if (column !== undefined && length < valueCap) value[length++] = b
      } else if (b === quote) inQuote = true
      else if (b === LF && crAt === i - 1) continue // CR LF: one line end
      else {
        if (column !== undefined && length > 0) {
          error = this.check(column, length, line)
          if (error) break
        }
        length = 0
        if (b === delimiter) column = inHeader ? undefined : guarded[++field]
        else {
          if (b === CR) crAt = i
          line++
          inHeader = false
          field = 0
          column = guarded[0]
        }
      }
    }
    this.field = field
    this.inHeader = inHeader
    this.crAt = crAt + this.offset
    this.inQuote = inQuote
    this.column = column
    this.length = length
    this.line = line
    return error
  }

  /** Whether the column holds the value (a canonical ISO form checked on the bytes; anything else by `inferredTypeHolds`), else the mismatch. */
  private check(column: CsvColumn, length: number, line: number): Error | null {
    const kind = temporalKindOfBytes(this.value, length)
    if (kind !== undefined && this.held.get(column)?.has(kind)) return null
    const text = this.value.toString(this.encoding, 0, length)
    return inferredTypeHolds(column.type, text) ? null : this.mismatch(column, text, line)
  }
}
