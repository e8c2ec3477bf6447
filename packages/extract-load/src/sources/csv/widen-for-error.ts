import { CsvInputError } from './csv-input-error.ts'
import type { CsvColumn, CsvDialect } from './csv-source-options.ts'
import { widenCsvType } from './widen-csv-type.ts'

/**
 * What to load with next after a CSV load failed with `error`, or `undefined` when the failure
 * stands: a value that does not fit an INFERRED column widens that column (to a type holding the
 * value when COPY named it, see `widenCsvType`); invalid UTF-8 in a file whose encoding was
 * DETECTED switches to Latin-1 (the sample was plain ASCII). A declared column or encoding is never
 * changed: the load fails naming file, line and column.
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
  if (error.problem === 'encoding' && dialect.detected.encoding && dialect.encoding === 'utf8') {
    return { columns: [...columns], dialect: { ...dialect, encoding: 'latin1' }, change: 'encoding: UTF-8 → Latin-1' }
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
