import { isCalendarDate, type CsvValueKind } from './classify-csv-value.ts'

const zero = 48
const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 48 && b <= 57
/** Two ASCII digits at `at` (before `end`) as a number, or -1. */
function twoDigits(bytes: Uint8Array, end: number, at: number): number {
  if (at + 2 > end) return -1
  const a = bytes[at]
  const b = bytes[at + 1]
  return isDigit(a) && isDigit(b) ? (a! - zero) * 10 + (b! - zero) : -1
}

/** The kinds the fast check gives, by code; a column's held kinds are a bit mask over these codes ({@link kindMask}). */
const codedKinds = ['smallint', 'integer', 'bigint', 'decimal', 'float', 'boolean', 'date', 'timestamp', 'timestamptz'] as const satisfies readonly CsvValueKind[]
const [SMALLINT, INTEGER, BIGINT, DECIMAL, FLOAT, BOOLEAN, DATE, TIMESTAMP, TIMESTAMPTZ] = [0, 1, 2, 3, 4, 5, 6, 7, 8] as const
const NONE = -1

/**
 * The fast path of {@link classifyCsvValue} for the CSV guard's per-value check, on the field
 * `bytes[start, end)`: the kind of a plain integer of up to 15 digits (`-12`, `0`, `2147483648`), a
 * plain decimal (`12.50`, `-.5`), a float with up to 15 mantissa digits and a 1–2 digit exponent
 * (`1.5e-3`), a boolean word (`true`, `F`, `yes`, `No`), or a canonical ISO date or timestamp
 * (`2024-01-15`, `2024-01-15 10:30[:00[.123456]]` with `T` or a space, then `Z` or `±hh[[:]mm]`),
 * each checked as `classifyCsvValue` checks it (no leading zero, calendar date, hour ≤ 23, …);
 * `undefined` for anything else, which the caller classifies with `classifyCsvValue`, the
 * authority. Never a kind that `classifyCsvValue` would not give (test/csv-guard.test.ts compares both).
 *
 * ```ts
 * csvValueKindOfBytes(Buffer.from('2024-01-15 10:30'), 0, 16) // 'timestamp'
 * csvValueKindOfBytes(Buffer.from('1,70000,x'), 2, 7) // 'integer'
 * csvValueKindOfBytes(Buffer.from('007'), 0, 3) // undefined (classifyCsvValue: 'text')
 * ```
 */
export function csvValueKindOfBytes(bytes: Uint8Array, start: number, end: number): CsvValueKind | undefined {
  const code = kindCodeOfBytes(bytes, start, end)
  return code === NONE ? undefined : codedKinds[code]
}

/**
 * The guard's form of {@link csvValueKindOfBytes}, with no string per value: whether the field's
 * fast kind is in `mask` (from {@link kindMask}). False means "ask `classifyCsvValue`", not "does not fit".
 *
 * ```ts
 * fastKindIn(kindMask(new Set(['smallint', 'integer'])), Buffer.from('42'), 0, 2) // true
 * ```
 */
export function fastKindIn(mask: number, bytes: Uint8Array, start: number, end: number): boolean {
  const code = kindCodeOfBytes(bytes, start, end)
  return code !== NONE && (mask & (1 << code)) !== 0
}

/**
 * The bit mask of `kinds` for {@link fastKindIn} (kinds the fast check never gives have no bit).
 *
 * ```ts
 * kindMask(new Set(['smallint', 'integer', 'text'])) // 0b11
 * ```
 */
export function kindMask(kinds: ReadonlySet<CsvValueKind>): number {
  return codedKinds.reduce((mask, kind, code) => (kinds.has(kind) ? mask | (1 << code) : mask), 0)
}

/** The code in `codedKinds` of the field's kind, or `NONE`. */
function kindCodeOfBytes(bytes: Uint8Array, start: number, end: number): number {
  if (end <= start) return NONE
  const first = bytes[start]!
  if (first === 43) return NONE // a leading +: text (classifyCsvValue)
  if (!isDigit(first) && first !== 45 && first !== 46) return booleanKindOfBytes(bytes, start, end) // - .
  const number = numberKindOfBytes(bytes, start, end)
  return number !== NONE ? number : temporalKindOfBytes(bytes, start, end)
}

/** [`-`] digits (no leading zero) [`.` digits] [`e` `[+-]` 1–2 digits]: an integer kind by magnitude, `decimal` or `float`. */
function numberKindOfBytes(bytes: Uint8Array, start: number, end: number): number {
  const negative = bytes[start] === 45
  const digitsAt = negative ? start + 1 : start
  let at = digitsAt
  while (at < end && isDigit(bytes[at])) at++
  const integerDigits = at - digitsAt
  if (integerDigits > 1 && bytes[digitsAt] === zero) return NONE
  if (at === end) {
    if (integerDigits === 0 || integerDigits > 15) return NONE
    let n = 0
    for (let i = digitsAt; i < end; i++) n = n * 10 + bytes[i]! - zero
    if (n <= 32767 || (negative && n === 32768)) return SMALLINT
    if (n <= 2147483647 || (negative && n === 2147483648)) return INTEGER
    return BIGINT
  }
  let fractionDigits = 0
  if (bytes[at] === 46) {
    const fractionAt = ++at
    while (at < end && isDigit(bytes[at])) at++
    fractionDigits = at - fractionAt
    if (fractionDigits === 0) return NONE // `1.`, `.`: text; `1.e5`: the slow path
    if (at === end) return DECIMAL
  }
  const e = bytes[at]
  if ((e !== 101 && e !== 69) || integerDigits + fractionDigits === 0 || integerDigits + fractionDigits > 15) return NONE // 'e' 'E'
  at++
  if (at < end && (bytes[at] === 43 || bytes[at] === 45)) at++
  const exponentDigits = end - at
  if (exponentDigits < 1 || exponentDigits > 2 || !isDigit(bytes[at]) || !isDigit(bytes[end - 1])) return NONE
  // |mantissa| < 1e15 with ≤ 15 digits, |exponent| ≤ 99: always finite, never a non-zero underflowing to 0
  return FLOAT
}

/** `true`, `false`, `t`, `f`, `yes`, `no` in any ASCII case (`| 32` lower-cases an ASCII letter and maps no other byte onto one). */
function booleanKindOfBytes(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start
  if (length > 5) return NONE
  const a = bytes[start]! | 32
  if (length === 1) return a === 116 || a === 102 ? BOOLEAN : NONE // t f
  const b = bytes[start + 1]! | 32
  if (length === 2) return a === 110 && b === 111 ? BOOLEAN : NONE // no
  const c = bytes[start + 2]! | 32
  if (length === 3) return a === 121 && b === 101 && c === 115 ? BOOLEAN : NONE // yes
  const d = bytes[start + 3]! | 32
  if (length === 4) return a === 116 && b === 114 && c === 117 && d === 101 ? BOOLEAN : NONE // true
  return a === 102 && b === 97 && c === 108 && d === 115 && (bytes[start + 4]! | 32) === 101 ? BOOLEAN : NONE // false
}

/** A canonical ISO date or timestamp: `DATE`, `TIMESTAMP` or `TIMESTAMPTZ`, else `NONE`. */
function temporalKindOfBytes(bytes: Uint8Array, s: number, end: number): number {
  if (end - s < 10 || bytes[s + 4] !== 45 || bytes[s + 7] !== 45) return NONE // '-'
  const century = twoDigits(bytes, end, s)
  const year = twoDigits(bytes, end, s + 2)
  if (century < 0 || year < 0 || !isCalendarDate(century * 100 + year, twoDigits(bytes, end, s + 5), twoDigits(bytes, end, s + 8))) return NONE
  if (end - s === 10) return DATE
  const t = bytes[s + 10]
  if ((t !== 84 && t !== 32) || end - s < 16 || bytes[s + 13] !== 58) return NONE // 'T' or ' ', ':'
  const h = twoDigits(bytes, end, s + 11)
  const mi = twoDigits(bytes, end, s + 14)
  if (h < 0 || h > 23 || mi < 0 || mi > 59) return NONE
  let at = s + 16
  if (at < end && bytes[at] === 58) {
    const sec = twoDigits(bytes, end, at + 1)
    if (sec < 0 || sec > 59) return NONE
    at += 3
    if (at < end && bytes[at] === 46) {
      let digits = 0
      while (at + 1 + digits < end && isDigit(bytes[at + 1 + digits])) digits++
      if (digits < 1 || digits > 6) return NONE
      at += 1 + digits
    }
  }
  if (at === end) return TIMESTAMP
  const zone = bytes[at]
  if (zone === 90) return at + 1 === end ? TIMESTAMPTZ : NONE // 'Z'
  if (zone !== 43 && zone !== 45) return NONE // '+' '-'
  const zh = twoDigits(bytes, end, at + 1)
  if (zh < 0 || zh > 15) return NONE
  at += 3
  if (at === end) return TIMESTAMPTZ
  if (bytes[at] === 58) at++
  const zm = twoDigits(bytes, end, at)
  return zm >= 0 && zm <= 59 && at + 2 === end ? TIMESTAMPTZ : NONE
}
