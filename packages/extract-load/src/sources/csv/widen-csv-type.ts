import { classifyCsvValue, type CsvValueKind } from './classify-csv-value.ts'
import { typeOfKinds } from './infer-csv-type.ts'

const nextType: Record<string, string> = {
  smallint: 'integer',
  integer: 'bigint',
  bigint: 'numeric',
  'double precision': 'numeric',
  numeric: 'text',
  boolean: 'text',
  date: 'timestamp',
  timestamp: 'timestamptz',
  timestamptz: 'text',
}

/** The value kind that stands for each inferred type, to join a rejected value into it. */
const kindOfType: Record<string, CsvValueKind> = {
  smallint: 'smallint',
  integer: 'integer',
  bigint: 'bigint',
  numeric: 'decimal',
  'double precision': 'float',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp',
  timestamptz: 'timestamptz',
}

/**
 * The wider type for an inferred column whose sample missed a later value that does not fit.
 * With the rejected `value` (COPY's error names it), the type jumps straight to one that holds it
 * (`integer` + `1.5` → `numeric`: one reload instead of two); without it, or when the value does not
 * help, one step: `integer` → `bigint` → `numeric` → `text`, `date` → `timestamp` → `timestamptz` → `text`,
 * `boolean` → `text`. `undefined` for `text` (nothing is wider) and for types inference never produces.
 *
 * ```ts
 * widenCsvType('integer', '1.5') // 'numeric'
 * widenCsvType('integer') // 'bigint'
 * widenCsvType('text') // undefined
 * ```
 */
export function widenCsvType(type: string, value?: string): string | undefined {
  const step = nextType[type]
  const kind = kindOfType[type]
  if (step === undefined || kind === undefined || value === undefined || value === '') return step
  const joined = typeOfKinds(new Set([kind, classifyCsvValue(value)]))
  return joined === type ? step : joined
}

/**
 * Whether an INFERRED column of `type` holds `value` as inference would have typed it: the value's
 * kind joined with the type's is the type itself. PostgreSQL's input functions accept more than
 * inference does and may change the value on the way (a `date` takes `2024-01-01 10:00` and drops
 * the time; a `timestamp` takes `…+02` and ignores the offset; `01/02/2024` depends on DateStyle);
 * a value this rejects must widen the column instead. Empty (NULL) fits anything.
 *
 * ```ts
 * inferredTypeHolds('date', '2024-01-01') // true
 * inferredTypeHolds('date', '2024-01-01 10:00') // false: widen to timestamp
 * inferredTypeHolds('timestamp', '2024-01-01') // true (midnight, nothing lost)
 * inferredTypeHolds('timestamp', '2024-01-01 10:00:00+02') // false: widen to timestamptz
 * ```
 */
export function inferredTypeHolds(type: string, value: string): boolean {
  if (value === '') return true
  const held = inferredTypeKinds(type)
  return held === undefined || held.has(classifyCsvValue(value))
}

/** Per inferred type, the value kinds it holds unchanged (computed once: the guard asks per value). */
const heldKindsOf = new Map<string, ReadonlySet<CsvValueKind> | undefined>()
const allKinds: readonly CsvValueKind[] = ['smallint', 'integer', 'bigint', 'huge-integer', 'decimal', 'float', 'boolean', 'date', 'timestamp', 'timestamptz', 'text']

/**
 * The value kinds an inferred `type` holds unchanged (`undefined` for a type inference does not produce).
 *
 * ```ts
 * inferredTypeKinds('timestamp') // Set { 'date', 'timestamp' }
 * ```
 */
export function inferredTypeKinds(type: string): ReadonlySet<CsvValueKind> | undefined {
  if (!heldKindsOf.has(type)) {
    const kind = kindOfType[type]
    heldKindsOf.set(type, kind === undefined ? undefined : new Set(allKinds.filter((k) => typeOfKinds(new Set([kind, k])) === type)))
  }
  return heldKindsOf.get(type)
}
