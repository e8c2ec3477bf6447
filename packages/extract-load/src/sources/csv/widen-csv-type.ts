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
