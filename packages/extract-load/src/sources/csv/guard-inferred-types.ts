import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream'
import { decodeCsvBytes } from './csv-encoding.ts'
import { CsvInputError } from './csv-input-error.ts'
import { CsvRecordScanner } from './csv-record-scanner.ts'
import type { CsvColumn, CsvDialect } from './csv-source-options.ts'
import { fastKindIn, kindMask } from './csv-value-kind-of-bytes.ts'
import { inferredTypeHolds, inferredTypeKinds, widenCsvType } from './widen-csv-type.ts'

/**
 * The inferred types whose PostgreSQL input function accepts values that inference would type
 * otherwise, changing them on the way (checked on PostgreSQL 15): `int2/int4/int8in` take ` 42`,
 * `42 `, `007` (→ 42, 42, 7); `numeric_in` takes ` 1.5`, `01.5`, `1.`, `NaN`, `Infinity`;
 * `float8in` takes ` 1.5`, `inf`, `NaN`, `0x1p3`, and rounds a long decimal; `boolin` takes `on`,
 * `off`, `y`, `n`, `1`, `0`, ` true`, the prefixes `tr`, `fa`, `ye`, `of` (→ true/false);
 * `date_in` drops a time; `timestamp_in` ignores an offset; all read `01/02/2024` by DateStyle.
 * (PG 15 rejects `1_000` and `0x1F` as integers, so COPY fails and widens anyway; PG 16 accepts them.)
 * `text` is the only inferred type that keeps every value as it is.
 */
const guardedTypes: ReadonlySet<string> = new Set(['smallint', 'integer', 'bigint', 'numeric', 'double precision', 'boolean', 'date', 'timestamp', 'timestamptz'])

/**
 * Whether `column` is one the guard watches: an INFERRED column of any type but `text` (the
 * Node-parsing quarantine path checks the same columns with `inferredTypeHolds`).
 *
 * ```ts
 * isGuardedColumn({ name: 'qty', type: 'integer', inferred: true }) // true
 * isGuardedColumn({ name: 'qty', type: 'integer', inferred: false }) // false: declared, PostgreSQL's semantics
 * ```
 */
export function isGuardedColumn(column: CsvColumn): boolean {
  return column.inferred && guardedTypes.has(column.type)
}

/**
 * The fast path's guard for INFERRED columns: PostgreSQL's COPY would accept a later `007` or ` 42`
 * into an `integer` (storing 7 and 42), `on` into a `boolean` (storing true), `2024-01-01 10:00` into
 * a `date` (dropping the time) or `…+02` into a `timestamp` (ignoring the offset) without an error,
 * so the widening retry would never run. This scans the CSV bytes on their way to COPY with the
 * shared {@link CsvRecordScanner} — only the guarded columns' fields are collected (the header row
 * skipped) — and fails the stream, before the row reaches PostgreSQL, with a `CsvInputError`
 * (`problem: 'type'`, file, line, column, value) for the first value the column's type does not
 * hold as inference types it ({@link inferredTypeHolds}: what the sampler would have typed that
 * way); the reader then widens the column (`integer` → `bigint` → `numeric` → `text`, `boolean` →
 * `text`, `date` → `timestamp` → `timestamptz` → `text`, or straight to the type holding the value)
 * and the load runs again. Declared columns are not guarded (the user's type, PostgreSQL's
 * semantics). Returns `stream` itself when no column needs the guard, so a file of declared or
 * text columns pays nothing.
 *
 * ```ts
 * const guarded = guardInferredTypes(bytes, { file: 'data/a.csv', columns, dialect })
 * await pipeline(guarded, client.query(copyFrom(csvCopySql(table, columns, dialect))))
 * // CsvInputError: data/a.csv, line 10002, column "zip": "007" is not an integer as inferred … the column becomes text.
 * ```
 */
export function guardInferredTypes(
  stream: Readable,
  options: { file: string; columns: readonly CsvColumn[]; dialect: CsvDialect; /** The first record is a header (default). */ header?: boolean },
): Readable {
  const { file, columns, dialect } = options
  const fields = columns.map(isGuardedColumn)
  if (!fields.includes(true)) return stream
  /** Per field, the value kinds its type holds, as a mask for the byte-level fast check. */
  const held = columns.map((c) => kindMask(isGuardedColumn(c) ? (inferredTypeKinds(c.type) ?? new Set()) : new Set()))
  const mismatch = (column: CsvColumn, value: string, line: number) => {
    const wider = widenCsvType(column.type, value) ?? 'text'
    const shown = value.length > 100 ? `${value.slice(0, 100)}…` : value
    return new CsvInputError(
      `${file}, line ${line}, column "${column.name}": ${JSON.stringify(shown)} is not ${/^[aeiou]/.test(column.type) ? 'an' : 'a'} ${column.type} as inferred from the first rows (a value PostgreSQL may accept and change); the column becomes ${wider}.`,
      {
        file,
        line,
        column: column.name,
        value,
        problem: 'type',
        hint: `Declare the column's type in the source config (columns: { ${JSON.stringify(column.name)}: '${wider}' }) to skip the reload.`,
      },
    )
  }
  const scanner = new CsvRecordScanner(dialect, {
    fields,
    header: options.header ?? true,
    check(field, bytes, start, end, line) {
      if (end <= bytes.length && fastKindIn(held[field]!, bytes, start, end)) return null
      const column = columns[field]!
      if (end > bytes.length) return mismatch(column, `${decodeCsvBytes(Buffer.from(bytes.buffer, bytes.byteOffset + start, 1024), dialect.encoding)}…`, line) // over 1 MiB: no inferred type but text holds it
      const text = decodeCsvBytes(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start), dialect.encoding)
      return inferredTypeHolds(column.type, text) ? null : mismatch(column, text, line)
    },
  })
  // an error at either end destroys both
  return pipeline(stream, new ScanningPassThrough(scanner), () => {})
}

/** Passes every chunk through untouched after the scanner has read it; the scanner's error fails the stream. */
class ScanningPassThrough extends Transform {
  constructor(private readonly scanner: CsvRecordScanner) {
    super({ highWaterMark: 256 * 1024 })
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const error = this.scanner.scan(chunk)
    callback(error, error ? undefined : chunk)
  }

  override _flush(callback: TransformCallback): void {
    callback(this.scanner.finish())
  }
}
