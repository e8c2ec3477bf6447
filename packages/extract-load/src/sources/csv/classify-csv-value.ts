/**
 * What a CSV field looks like, for type inference. Only plain, unambiguous forms count: anything
 * else (leading zeros, a leading `+`, spaces, locale formats, `1,5`) is `text`, so an inferred type
 * never changes a value (`007`, the CEP `01310100` and the dialling code `+44` stay text, not 7,
 * 1310100 and 44).
 */
export type CsvValueKind =
  | 'smallint'
  | 'integer'
  | 'bigint'
  | 'huge-integer' // an integer beyond bigint: numeric
  | 'decimal' // digits with a point: numeric
  | 'float' // exponent notation: double precision
  | 'boolean'
  | 'date'
  | 'timestamp'
  | 'timestamptz'
  | 'text'

const integerPattern = /^[+-]?(?:0|[1-9][0-9]*)$/
const decimalPattern = /^[+-]?(?:(?:0|[1-9][0-9]*)\.[0-9]*|\.[0-9]+)$/
const floatPattern = /^[+-]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]{1,4}$/
const booleanPattern = /^(?:true|false|t|f|yes|no)$/i
/** `2024-01-15`, then optionally `T`/space + `hh:mm[:ss[.fraction]]`, then optionally `Z` or `±hh[[:]mm]`. */
const temporalPattern = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/

const smallintMax = 32767
const integerMax = 2147483647
const bigintMin = -(2n ** 63n)
const bigintMax = 2n ** 63n - 1n

/**
 * ```ts
 * classifyCsvValue('42') // 'smallint'
 * classifyCsvValue('007') // 'text'
 * classifyCsvValue('+44') // 'text'
 * classifyCsvValue('2024-01-15 10:30:00+02') // 'timestamptz'
 * ```
 */
export function classifyCsvValue(value: string): CsvValueKind {
  const first = value.charCodeAt(0)
  const startsNumeric = (first >= 48 && first <= 57) || first === 45 || first === 46 // 0-9 - . (a leading + is text)
  if (startsNumeric) {
    if (integerPattern.test(value)) return integerKind(value)
    if (decimalPattern.test(value)) return value.endsWith('.') || value === '.' ? 'text' : 'decimal'
    if (floatPattern.test(value)) return Number.isFinite(Number(value)) && !underflows(value) ? 'float' : 'decimal'
    const temporal = temporalKind(value)
    if (temporal) return temporal
    return 'text'
  }
  return booleanPattern.test(value) ? 'boolean' : 'text'
}

function integerKind(value: string): CsvValueKind {
  const digits = value.length - (value[0] === '+' || value[0] === '-' ? 1 : 0)
  if (digits <= 15) {
    const n = Math.abs(Number(value)) // symmetric check, then the one asymmetric edge below
    if (n <= smallintMax || Number(value) === -smallintMax - 1) return 'smallint'
    if (n <= integerMax || Number(value) === -integerMax - 1) return 'integer'
    return 'bigint'
  }
  if (digits > 19) return 'huge-integer'
  const n = BigInt(value)
  return n >= bigintMin && n <= bigintMax ? 'bigint' : 'huge-integer'
}

/** `1e-400`: a non-zero mantissa that parses to 0 — PostgreSQL's float8 rejects it as out of range. */
function underflows(value: string): boolean {
  return Number(value) === 0 && /[1-9]/.test(value.split(/[eE]/)[0] ?? '')
}

function temporalKind(value: string): 'date' | 'timestamp' | 'timestamptz' | undefined {
  const m = temporalPattern.exec(value)
  if (!m) return undefined
  const [, y, mo, d, h, mi, s, zone] = m
  if (!isCalendarDate(Number(y), Number(mo), Number(d))) return undefined
  if (h === undefined) return 'date'
  if (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 59)) return undefined
  if (zone === undefined) return 'timestamp'
  if (zone !== 'Z' && (Number(zone.slice(1, 3)) > 15 || (zone.length > 3 && Number(zone.slice(-2)) > 59))) return undefined
  return 'timestamptz'
}

/** Year 1..9999 (PostgreSQL has no year 0 in ISO input), month 1..12, day within the month (leap years included). */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0
  return day <= days
}
