import { encodingLabel } from './csv-encoding.ts'
import { CsvInputError } from './csv-input-error.ts'
import type { CsvColumn, CsvDialect } from './csv-source-options.ts'
import { widenCsvType } from './widen-csv-type.ts'

/**
 * What to load with next after a CSV load failed with `error`, or `undefined` when the failure
 * stands: a value that does not fit an INFERRED column widens that column (to a type holding the
 * value when COPY named it, see `widenCsvType`); in a file whose encoding was DETECTED, the
 * encoding the error asks for (`switchEncoding`): invalid UTF-8 → Latin-1 (the sample was plain
 * ASCII), a byte 0x80–0x9F in Latin-1 → Windows-1252, a byte Windows-1252 does not define (which
 * PostgreSQL's WIN1252 rejects) → Windows-1252 decoded in Node (`decodeInNode`). Encodings only
 * climb that ladder (UTF-8, Latin-1, Windows-1252, Windows-1252 decoded in Node), so files of a glob
 * asking for different steps cannot make the retries go back and forth. A declared column or encoding is never changed: the
 * load fails naming file, line and column.
 *
 * ```ts
 * widenForError(err, columns, dialect)
 * // { columns: [… { name: 'amount', type: 'numeric', inferred: true } …], dialect, change: 'column "amount": integer → numeric' }
 * ```
 */
export function widenForError(
  error: unknown,
  columns: readonly CsvColumn[],
  dialect: CsvDialect,
): { columns: CsvColumn[]; dialect: CsvDialect; change: string } | undefined {
  if (!(error instanceof CsvInputError)) return undefined
  const switched = error.switchEncoding
  if (error.problem === 'encoding' && switched && dialect.detected.encoding) {
    const { decodeInNode: _, ...rest } = dialect
    const next: CsvDialect = { ...rest, encoding: switched.to, ...(switched.decodeInNode ? { decodeInNode: true } : {}) }
    // only ever up the ladder, so the retries end (a glob's files may ask for different steps)
    if (encodingStep(next) <= encodingStep(dialect)) return undefined
    return { columns: [...columns], dialect: next, change: `encoding: ${encodingLabel(switched.from)} → ${encodingLabel(switched.to)}${switched.decodeInNode ? ' decoded in Node' : ''}` }
  }
  if (error.problem !== 'type') return undefined
  const index = columns.findIndex((c) => c.name === error.column)
  const column = columns[index]
  if (!column?.inferred) return undefined
  const wider = widenCsvType(column.type, error.value)
  if (wider === undefined) return undefined
  const widened = columns.map((c, i) => (i === index ? { ...c, type: wider } : c))
  return { columns: widened, dialect, change: `column "${column.name}": ${column.type} → ${wider}` }
}

/** The encoding ladder a detected encoding climbs: UTF-8, Latin-1, Windows-1252, Windows-1252 decoded in Node (final). */
function encodingStep(dialect: CsvDialect): number {
  return dialect.encoding === 'utf8' ? 0 : dialect.encoding === 'latin1' ? 1 : dialect.decodeInNode ? 3 : 2
}
