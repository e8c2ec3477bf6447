import { isCalendarDate, type CsvValueKind } from './classify-csv-value.ts'

const zero = 48
const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 48 && b <= 57
/** Two ASCII digits at `at` (before `length`) as a number, or -1. */
function twoDigits(bytes: Uint8Array, length: number, at: number): number {
  if (at + 2 > length) return -1
  const a = bytes[at]
  const b = bytes[at + 1]
  return isDigit(a) && isDigit(b) ? (a! - zero) * 10 + (b! - zero) : -1
}

/**
 * The fast path of {@link classifyCsvValue} for the guard's per-value check: the kind of the
 * first `length` bytes when they are a canonical ISO date or timestamp (`2024-01-15`,
 * `2024-01-15 10:30[:00[.123456]]` with `T` or a space, then `Z` or `±hh[[:]mm]`), checked as
 * `classifyCsvValue` checks them (calendar date, hour ≤ 23, …); `undefined` for anything else, which
 * the caller classifies as text (`classifyCsvValue`, the authority). Never a kind that
 * `classifyCsvValue` would not give — test/csv-temporal.test.ts compares both.
 *
 * ```ts
 * temporalKindOfBytes(Buffer.from('2024-01-15 10:30'), 16) // 'timestamp'
 * temporalKindOfBytes(Buffer.from('01/02/2024'), 10) // undefined
 * ```
 */
export function temporalKindOfBytes(bytes: Uint8Array, length: number): CsvValueKind | undefined {
  if (length < 10 || bytes[4] !== 45 || bytes[7] !== 45) return undefined // '-'
  const century = twoDigits(bytes, length, 0)
  const year = twoDigits(bytes, length, 2)
  if (century < 0 || year < 0 || !isCalendarDate(century * 100 + year, twoDigits(bytes, length, 5), twoDigits(bytes, length, 8))) return undefined
  if (length === 10) return 'date'
  const t = bytes[10]
  if ((t !== 84 && t !== 32) || length < 16 || bytes[13] !== 58) return undefined // 'T' or ' ', ':'
  const h = twoDigits(bytes, length, 11)
  const mi = twoDigits(bytes, length, 14)
  if (h < 0 || h > 23 || mi < 0 || mi > 59) return undefined
  let at = 16
  if (at < length && bytes[at] === 58) {
    const s = twoDigits(bytes, length, at + 1)
    if (s < 0 || s > 59) return undefined
    at += 3
    if (at < length && bytes[at] === 46) {
      let digits = 0
      while (at + 1 + digits < length && isDigit(bytes[at + 1 + digits])) digits++
      if (digits < 1 || digits > 6) return undefined
      at += 1 + digits
    }
  }
  if (at === length) return 'timestamp'
  const zone = bytes[at]
  if (zone === 90) return at + 1 === length ? 'timestamptz' : undefined // 'Z'
  if (zone !== 43 && zone !== 45) return undefined // '+' '-'
  const zh = twoDigits(bytes, length, at + 1)
  if (zh < 0 || zh > 15) return undefined
  at += 3
  if (at === length) return 'timestamptz'
  if (bytes[at] === 58) at++
  const zm = twoDigits(bytes, length, at)
  return zm >= 0 && zm <= 59 && at + 2 === length ? 'timestamptz' : undefined
}
