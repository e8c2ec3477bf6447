import { Decimal128, Double, Int32, Long, ObjectId } from 'bson'

/**
 * A `$numberDecimal` of Extended JSON kept as its text, without building a Decimal128: made by
 * `parseExtendedJson` only for text that Decimal128's `toString` gives back unchanged (plain
 * decimals of at most 6 places), so `numberText` reads it exactly as the Decimal128. Its one
 * field is named so that `EJSON.stringify` writes it back as `{ "$numberDecimal": "12.50" }`.
 *
 * ```ts
 * numberText(new DecimalText('12.50')) // '12.50', as numberText(Decimal128.fromString('12.50'))
 * ```
 */
export class DecimalText {
  constructor(readonly $numberDecimal: string) {}
}

/**
 * A number as it may arrive from MongoDB (Decimal128, double, int32, int64, or the JS number /
 * bigint a relaxed reader promoted it to) as exact decimal text, `undefined` when it is not a number.
 *
 * ```ts
 * numberText(Decimal128.fromString('1234.50')) // '1234.50'
 * numberText(new Long(7))                     // '7'
 * numberText('12')                            // undefined (a string is not a number)
 * ```
 */
export function numberText(value: unknown): string | undefined {
  if (value instanceof DecimalText) return value.$numberDecimal
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Decimal128) {
    const text = value.toString()
    return /^-?\d+(\.\d+)?(E[+-]?\d+)?$/i.test(text) ? text : undefined
  }
  if (value instanceof Long) return value.toString()
  if (value instanceof Int32 || value instanceof Double) return Number.isFinite(value.valueOf()) ? String(value.valueOf()) : undefined
  return undefined
}

/** The same as a JS number (for comparisons in validation rules). */
export function numberValue(value: unknown): number | undefined {
  const text = numberText(value)
  return text === undefined ? undefined : Number(text)
}

/** A valid `Date`, else `undefined` (a string, an invalid date, a missing value). */
export function dateValue(value: unknown): Date | undefined {
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value : undefined
}

/** `'529.982.247-25'` → `'52998224725'`; a non-string → `undefined`. */
export function digitsOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value.replace(/\D/g, '') : undefined
}

/** An ObjectId's hex (or the `_id` as text when it is another type). */
export function idText(value: unknown): string | null {
  if (value instanceof ObjectId) return value.toHexString()
  if (typeof value === 'string' || typeof value === 'number') return String(value)
  return null
}
