import { Decimal128, EJSON, Long, ObjectId } from 'bson'
import { describe, expect, it } from 'vitest'
import { ccb_contracts } from '../../models/src/documents/ccb-contracts.ts'
import { generateCcbDocuments } from '../bench/ccb-generator.ts'
import { prepareDocument } from '../src/apply/prepare-document.ts'
import { DecimalText, numberText } from '../src/mapping/bson-values.ts'
import { parseExtendedJson } from '../src/readers/parse-extended-json.ts'

/** What the mapping can see of a parsed value: numbers as numberText, dates as instants, ids as hex, Longs tagged. */
function seen(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(seen)
  if (value instanceof Date) return { date: value.getTime() }
  if (value instanceof ObjectId) return { oid: value.toHexString() }
  if (value instanceof Long) return { long: value.toString() }
  const number = numberText(value)
  if (number !== undefined || typeof value === 'number' || value instanceof DecimalText || value instanceof Decimal128 || (value as { _bsontype?: string } | null)?._bsontype === 'Double' || (value as { _bsontype?: string } | null)?._bsontype === 'Int32') return { number: number ?? 'not a number' }
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, seen(v)]))
  return value
}

function expectSameAsBson(text: string) {
  let expected: unknown
  let error: unknown
  try {
    expected = EJSON.parse(text, { relaxed: false })
  } catch (e) {
    error = e
  }
  if (error) {
    expect(() => parseExtendedJson(text), text).toThrow((error as Error).message)
    return
  }
  const actual = parseExtendedJson(text)
  expect(seen(actual), text).toEqual(seen(expected))
  // what a rejection record stores
  expect(EJSON.stringify(actual, { relaxed: true }), text).toBe(EJSON.stringify(expected, { relaxed: true }))
}

describe('parseExtendedJson: the same values as bson EJSON.parse', () => {
  it('on the generator output, relaxed and canonical, valid and invalid: same values, same rows, same rejections', () => {
    let compared = 0
    for (const { document, relaxed } of generateCcbDocuments({ contracts: 1500, invalidEvery: 7 })) {
      for (const text of [EJSON.stringify(document, { relaxed }), EJSON.stringify(document, { relaxed: !relaxed })]) {
        expectSameAsBson(text)
        const ours = prepareDocument(ccb_contracts as never, parseExtendedJson(text) as never, 1)
        const bsons = prepareDocument(ccb_contracts as never, EJSON.parse(text, { relaxed: false }) as never, 1)
        expect(ours).toEqual(bsons)
        compared++
      }
    }
    expect(compared).toBeGreaterThan(3000)
  })

  it('takes its own path for the plain forms (no Decimal128, no Int32 built)', () => {
    expect(parseExtendedJson('{"a":{"$numberDecimal":"12.50"},"b":{"$numberInt":"7"},"c":1.5,"d":{"$date":"2024-01-02T00:00:00Z"}}')).toEqual({
      a: new DecimalText('12.50'), b: 7, c: 1.5, d: new Date('2024-01-02T00:00:00Z'),
    })
  })

  it('on edge values of every type the mapping reads', () => {
    const values = [
      // $numberDecimal: plain, trailing zeros, negative zero, many places, exponents, huge, NaN, Infinity, junk
      ...['0', '-0', '0.00', '-0.00', '12.50', '007.5', '1234567890123456789', '12345678901234567890123', '0.000001', '0.0000001', '0.1234567', '1E+3', '1.5e3', '-1.23E-10', 'NaN', 'Infinity', '-Infinity', '', 'abc', '1.', '.5', '99999999999999999999.999999']
        .map((d) => `{"$numberDecimal":${JSON.stringify(d)}}`),
      '{"$numberDecimal":12}',
      // $numberInt / $numberDouble / $numberLong
      ...['0', '-0', '7', '-7', '2147483647', '-2147483648', '2147483648', '123456789', '1234567890', '1.5', 'abc', '', '007'].map((n) => `{"$numberInt":${JSON.stringify(n)}}`),
      ...['0', '-0', '-0.0', '0.0', '1793.72', '1e3', '1E+400', '-1e-400', 'Infinity', '-Infinity', 'NaN', 'abc', '', '.5'].map((n) => `{"$numberDouble":${JSON.stringify(n)}}`),
      ...['0', '-97027200000', '9223372036854775807', '-9223372036854775808', '9223372036854775808', '1.5', 'abc'].map((n) => `{"$numberLong":${JSON.stringify(n)}}`),
      '{"$numberLong":5}',
      // plain numbers: int32 edges, beyond int32, beyond 2^53, -0, fractions, exponents
      '0', '-0', '-0.0', '2147483647', '2147483648', '-2147483649', '9007199254740993', '1e21', '1.5', '-1.5e-7', '1e400',
      // $date: ISO strings (with and without milliseconds, offsets, invalid), $numberLong, numbers, null, objects
      ...['"2024-01-02T00:00:00Z"', '"2024-01-02T03:04:05.678Z"', '"2024-01-02T00:00:00-03:00"', '"2024-01-02"', '"not a date"', '""', '{"$numberLong":"-97027200000"}', '{"$numberLong":"1704153600000"}', '1704153600000', '1.5', 'null', '{}', '{"$numberInt":"5"}', 'true']
        .map((d) => `{"$date":${d}}`),
      // $oid
      '{"$oid":"63420f000000000000000001"}', '{"$oid":"63420F00000000000000000A"}', '{"$oid":"xyz"}', '{"$oid":"63420f00000000000000000"}', '{"$oid":5}',
      // $ keys not alone, other bson types, null-valued $ keys, $undefined, NUL in a key, nesting
      '{"$date":"2024-01-02T00:00:00Z","x":1}', '{"x":1,"$oid":"63420f000000000000000001"}', '{"$numberDecimal":"1","$numberInt":"2"}',
      '{"$binary":{"base64":"AQID","subType":"00"}}', '{"$regularExpression":{"pattern":"a","options":"i"}}', '{"$timestamp":{"t":1,"i":2}}',
      '{"$minKey":1}', '{"$maxKey":1}', '{"$symbol":"s"}', '{"$code":"f()"}', '{"$ref":"c","$id":{"$oid":"63420f000000000000000001"}}', '{"$uuid":"c8edabc3-f738-4ca3-b68d-ab92a91478a4"}',
      '{"$date":null}', '{"$undefined":true}', '{"$foo":"bar"}', '{"a\\u0000b":1}', '{"a":{"b\\u0000":1}}',
      '{"a":[1,{"$numberDecimal":"2.50"},[{"$date":"2024-01-02T00:00:00Z"}],null,"x",true]}',
      '[]', '[{"$numberInt":"1"},-0]', '"text"', 'null', 'true', '{}',
      // not JSON at all
      '{', '{"a":}', '', '{"a":1} x', 'NaN',
    ]
    for (const value of values) {
      expectSameAsBson(value)
      expectSameAsBson(`{"v":${value || 'null'},"w":{"nested":[${value || 'null'}]}}`)
    }
  })
})
