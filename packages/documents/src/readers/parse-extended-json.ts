import { EJSON, Long, ObjectId } from 'bson'
import { DecimalText } from '../mapping/bson-values.ts'

/**
 * One document of `mongoexport` output (relaxed or canonical Extended JSON) parsed by the native
 * `JSON.parse`, then walked once to convert the Extended JSON values documents are made of:
 * `$date` → Date, `$oid` → ObjectId, `$numberLong` → Long (both by bson's own code),
 * `$numberDecimal` → `DecimalText` (its exact text, without building a Decimal128), `$numberInt`,
 * `$numberDouble` and plain JSON numbers → JS numbers. Everything else (another `$` type, a
 * `$numberDecimal` or number outside the plain forms, a key with a NUL, a malformed value) makes
 * it parse the whole text again with bson's `EJSON.parse(text, { relaxed: false })`, errors
 * included: for every value the mapping reads (`numberText`, `dateValue`, `idText`) and for
 * `EJSON.stringify(…, { relaxed: true })` the result is the same as bson's (test/extended-json.test.ts).
 *
 * ```ts
 * parseExtendedJson('{"n":{"$numberDecimal":"12.50"},"d":{"$date":"2024-01-02T00:00:00Z"},"i":{"$numberInt":"7"}}')
 * // { n: DecimalText { $numberDecimal: '12.50' }, d: 2024-01-02T00:00:00.000Z, i: 7 }
 * ```
 */
export function parseExtendedJson(text: string): unknown {
  try {
    return convert(JSON.parse(text))
  } catch (error) {
    if (error !== unusual && !(error instanceof SyntaxError)) throw error
    return EJSON.parse(text, { relaxed: false })
  }
}

/** Thrown by the walk on anything it does not convert itself; never leaves `parseExtendedJson`. */
const unusual = new Error('not on the fast path')

const int32Text = /^(?:0|-?[1-9]\d{0,8})$/
const doubleText = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/
// at most 26 digits and 6 decimals: Decimal128's toString gives the text back unchanged
const decimalText = /^-?(?:0|[1-9]\d{0,19})(?:\.\d{1,6})?$/

function convert(value: unknown): unknown {
  if (typeof value === 'number') return numberOf(value)
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = convert(value[i])
    return value
  }
  const object = value as Record<string, unknown>
  let special: string | undefined
  for (const key in object) {
    if (key.charCodeAt(0) === 36 /* $ */) {
      if (special !== undefined) throw unusual
      special = key
    } else {
      if (key.includes('\0')) throw unusual
      object[key] = convert(object[key])
    }
  }
  if (special === undefined) return object
  // a `$` key (bson's types): only alone, one of the forms below
  if (Object.keys(object).length !== 1) throw unusual
  const inner = object[special]
  switch (special) {
    case '$date': {
      if (typeof inner === 'string') return new Date(Date.parse(inner))
      const long = convert(inner)
      if (long instanceof Long) return new Date(long.toNumber())
      throw unusual
    }
    case '$oid':
      if (typeof inner !== 'string') throw unusual
      return new ObjectId(inner)
    case '$numberDecimal':
      if (typeof inner === 'string' && decimalText.test(inner)) return new DecimalText(inner)
      throw unusual
    case '$numberInt':
      if (typeof inner === 'string' && int32Text.test(inner)) return Number(inner)
      throw unusual
    case '$numberDouble': {
      if (typeof inner !== 'string' || !doubleText.test(inner)) throw unusual
      const number = parseFloat(inner)
      if (!Number.isFinite(number) || Object.is(number, -0)) throw unusual
      return number
    }
    case '$numberLong':
      if (typeof inner !== 'string') throw unusual
      return Long.fromExtendedJSON({ $numberLong: inner }, { relaxed: false })
    default:
      throw unusual
  }
}

/** A plain JSON number, kept a JS number where bson's Int32 or Double reads the same (-0 included); a Long is left to bson. */
function numberOf(value: number): number {
  if (Number.isInteger(value) && (value > 2147483647 || value < -2147483648)) throw unusual
  return value
}
