import { classifyCsvValue, type CsvValueKind } from './classify-csv-value.ts'

const integerRank = { smallint: 1, integer: 2, bigint: 3 } as const

/**
 * Collects the kinds of one column's sample values and names the narrowest PostgreSQL type
 * that holds all of them. Empty fields are NULL and do not count; a column with no value is `text`.
 *
 * ```ts
 * const column = new CsvTypeInference()
 * for (const v of ['1', '70000', '']) column.add(v)
 * column.type() // 'integer'
 * ```
 *
 * Combinations: integers widen smallint → integer → bigint; with a decimal or an integer beyond
 * bigint → `numeric`; exponent notation → `double precision` (with decimals or bigints → `numeric`,
 * which holds both exactly); `date` + `timestamp` → `timestamp`; either + `timestamptz` →
 * `timestamptz`; anything else mixed (a boolean with a number, a date with a number, any text) → `text`.
 */
export class CsvTypeInference {
  private readonly kinds = new Set<CsvValueKind>()

  add(value: string): void {
    if (value === '' || this.kinds.has('text')) return
    this.kinds.add(classifyCsvValue(value))
  }

  /**
   * `sampleIsWholeFile`: whether the values added were all of the column's. When they were not,
   * integers start at `integer`: a sample of an id column nearly always fits `smallint`, and the
   * row after it would cost a full reload to widen (smallint rarely saves space anyway: rows are
   * padded to 4- or 8-byte alignment).
   */
  type(sampleIsWholeFile = true): string {
    const type = typeOfKinds(this.kinds)
    return type === 'smallint' && !sampleIsWholeFile ? 'integer' : type
  }
}

/** The narrowest type holding every kind in `kinds` (see {@link CsvTypeInference}). */
export function typeOfKinds(kinds: ReadonlySet<CsvValueKind>): string {
  if (kinds.size === 0 || kinds.has('text')) return 'text'
  const all = [...kinds]
  const numeric = all.every((k) => k in integerRank || k === 'huge-integer' || k === 'decimal' || k === 'float')
  if (numeric) {
    if (kinds.has('float')) return kinds.has('decimal') || kinds.has('huge-integer') || kinds.has('bigint') ? 'numeric' : 'double precision'
    if (kinds.has('decimal') || kinds.has('huge-integer')) return 'numeric'
    const rank = Math.max(...all.map((k) => integerRank[k as keyof typeof integerRank]))
    return rank === 3 ? 'bigint' : rank === 2 ? 'integer' : 'smallint'
  }
  if (all.every((k) => k === 'date' || k === 'timestamp' || k === 'timestamptz')) {
    return kinds.has('timestamptz') ? 'timestamptz' : kinds.has('timestamp') ? 'timestamp' : 'date'
  }
  return kinds.size === 1 && kinds.has('boolean') ? 'boolean' : 'text'
}
