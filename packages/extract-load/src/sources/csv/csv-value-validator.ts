import { isCalendarDate } from './classify-csv-value.ts'

/** Checks one non-empty CSV field against a column type in Node, as the quarantine path needs. */
export type CsvValueValidator = (value: string) => boolean

const integerRanges = {
  smallint: [-32768n, 32767n],
  integer: [-2147483648n, 2147483647n],
  bigint: [-(2n ** 63n), 2n ** 63n - 1n],
} as const
const aliases: Record<string, string> = {
  int2: 'smallint',
  int: 'integer',
  int4: 'integer',
  int8: 'bigint',
  decimal: 'numeric',
  float4: 'real',
  float8: 'double precision',
  float: 'double precision',
  bool: 'boolean',
  'timestamp without time zone': 'timestamp',
  'timestamp with time zone': 'timestamptz',
  varchar: 'character varying',
  char: 'character',
  bpchar: 'character',
}

/** PostgreSQL's `isspace` set, which its numeric and boolean input functions skip around a value. */
const trim = (value: string) => value.replace(/^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/g, '')
const integerSyntax = /^[+-]?[0-9]+$/
const numericSyntax = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/
/** float8in parses with the C library's strtod, which also reads hexadecimal floats (`0x1.8p3`). */
const hexFloat = /^[+-]?0x(?:[0-9a-f]+\.?[0-9a-f]*|\.[0-9a-f]+)(?:p[+-]?[0-9]+)?$/i
const specialNumber = /^[+-]?(?:nan|inf|infinity)$/i
const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/
const isoTimestamp = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/
const booleanWords = ['true', 'false', 'yes', 'no']

/**
 * The validator of a column type for the quarantine path, or `undefined` for a type it does not
 * know (uuid, jsonb, arrays, …: such values go to COPY unchecked, and a bad one fails the load with
 * its file, line and column). Each accepts what inference produces for that type and what
 * PostgreSQL's input function accepts, with one deliberate limit: dates and timestamps must be ISO
 * 8601 (`2024-01-15`, `2024-01-15 10:30:00.5+02`, `infinity`), because other forms depend on the
 * server's DateStyle.
 *
 * ```ts
 * csvValueValidator('integer')?.('2147483648') // false (out of range)
 * csvValueValidator('numeric(5,2)')?.('123.45') // true
 * csvValueValidator('varchar(3)')?.('abcd') // false
 * ```
 */
export function csvValueValidator(type: string): CsvValueValidator | undefined {
  const m = /^([a-z0-9_ ]+?)\s*(?:\(\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?\))?( with(?:out)? time zone)?$/.exec(type.trim().toLowerCase().replace(/\s+/g, ' '))
  if (!m) return undefined
  const [, rawName = '', p, s, zone = ''] = m
  const name = aliases[rawName + zone] ?? aliases[rawName] ?? rawName + zone
  switch (name) {
    case 'smallint':
    case 'integer':
    case 'bigint': {
      const [min, max] = integerRanges[name]
      return (value) => {
        const v = trim(value)
        if (!integerSyntax.test(v)) return false
        const n = BigInt(v)
        return n >= min && n <= max
      }
    }
    case 'numeric': {
      const integerDigits = p === undefined ? undefined : Number(p) - Number(s ?? 0)
      return (value) => {
        const v = trim(value)
        if (specialNumber.test(v)) return !/^[+-]nan$/i.test(v) // NaN takes no sign; Infinity may
        if (!numericSyntax.test(v)) return false
        if (integerDigits === undefined || /[eE]/.test(v)) return true
        const whole = (v.replace(/^[+-]/, '').split('.')[0] ?? '').replace(/^0+/, '')
        return whole.length <= integerDigits
      }
    }
    case 'real':
    case 'double precision': {
      // Rounded as the C library's strtof/strtod would: out of range when it overflows to infinity
      // or a non-zero mantissa underflows to 0 (denormals pass, as in PostgreSQL).
      const round = name === 'real' ? Math.fround : (n: number) => n
      return (value) => {
        const v = trim(value)
        if (specialNumber.test(v) || hexFloat.test(v)) return true
        if (!numericSyntax.test(v)) return false
        const n = round(Number(v))
        return Number.isFinite(n) && !(n === 0 && /[1-9]/.test(v.split(/[eE]/)[0] ?? ''))
      }
    }
    case 'boolean':
      return (value) => {
        const v = trim(value).toLowerCase()
        if (v === '1' || v === '0' || v === 'on' || v === 'of' || v === 'off') return true
        return v.length > 0 && booleanWords.some((word) => word.startsWith(v))
      }
    case 'date':
      return (value) => isInfinity(value) || isIsoDate(trim(value))
    case 'timestamp':
    case 'timestamptz':
      return (value) => isInfinity(value) || isIsoTimestamp(trim(value))
    case 'text':
      return (value) => !value.includes('\u0000')
    case 'character varying':
    case 'character': {
      const length = p === undefined ? (name === 'character' ? 1 : undefined) : Number(p)
      return (value) => {
        if (value.includes('\u0000')) return false
        if (length === undefined) return true
        const chars = [...value] // PostgreSQL counts characters, not UTF-16 units
        // Longer values pass only when the excess is spaces, which PostgreSQL drops.
        return chars.length <= length || chars.slice(length).every((c) => c === ' ')
      }
    }
    default:
      return undefined
  }
}

function isInfinity(value: string): boolean {
  return /^[+-]?infinity$/i.test(trim(value))
}

function isIsoDate(value: string): boolean {
  const m = isoDate.exec(value)
  return m !== null && isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))
}

function isIsoTimestamp(value: string): boolean {
  const m = isoTimestamp.exec(value)
  if (!m || !isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) return false
  return m[4] === undefined || (Number(m[4]) <= 23 && Number(m[5]) <= 59 && (m[6] === undefined || Number(m[6]) <= 59))
}
