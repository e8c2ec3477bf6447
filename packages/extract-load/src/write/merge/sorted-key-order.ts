import { quoteIdent } from '@elt/core'
import type { ColumnDef } from '../../introspect/catalog.ts'

/** Binary COPY widths of the key types whose `ORDER BY` is the order of their binary form (sign bit flipped for integers). */
const widths: Record<string, { bytes: number; signed: boolean }> = {
  smallint: { bytes: 2, signed: true },
  integer: { bytes: 4, signed: true },
  bigint: { bytes: 8, signed: true },
  date: { bytes: 4, signed: true }, // days since 2000-01-01; ±infinity are the extremes
  'timestamp without time zone': { bytes: 8, signed: true }, // microseconds since 2000-01-01
  'timestamp with time zone': { bytes: 8, signed: true },
  uuid: { bytes: 16, signed: false }, // uuid_cmp is memcmp
  boolean: { bytes: 1, signed: false },
}

/** How to read a key's sorted binary COPY: every row is `recordBytes` long and `compare` orders two rows as `ORDER BY` did. */
export interface SortedKeyOrder {
  /** `"order_id", "line_no"`: the `ORDER BY` list, also the column list of both key reads. */
  orderBy: string
  /** A row: its field count (2 bytes), then per column its length (4 bytes) and value. */
  recordBytes: number
  /** The row at `ao` in `a` against the row at `bo` in `b`: negative, 0 or positive. */
  compare(a: Buffer, ao: number, b: Buffer, bo: number): number
}

type FieldCompare = (a: Buffer, ao: number, b: Buffer, bo: number) => number

/** One fixed-width field at `offset` of a row: big-endian, signed in its first word when `signed` (two's complement), unsigned after. */
function fieldCompare(offset: number, bytes: number, signed: boolean): FieldCompare {
  const first = (a: Buffer, i: number) => (bytes === 1 ? a[i]! : bytes === 2 ? (signed ? a.readInt16BE(i) : a.readUInt16BE(i)) : signed ? a.readInt32BE(i) : a.readUInt32BE(i))
  const words = bytes <= 4 ? 0 : (bytes - 4) / 4 // the unsigned 32-bit words after the first (8 bytes: 1, uuid: 3)
  return (a, ao, b, bo) => {
    const d = first(a, ao + offset) - first(b, bo + offset)
    if (d !== 0 || words === 0) return d
    for (let w = 1; w <= words; w++) {
      const e = a.readUInt32BE(ao + offset + 4 * w) - b.readUInt32BE(bo + offset + 4 * w)
      if (e !== 0) return e
    }
    return 0
  }
}

/**
 * The order of a primary key made of fixed-width types whose binary form sorts like PostgreSQL
 * sorts them (integers, dates, timestamps, uuid, boolean): then the source's and the raw table's
 * keys, each read `ORDER BY` the key, can be compared as they stream (see `deleteMissingKeys`),
 * with no collation or server setting involved. Undefined for any other key (text keys sort by
 * collation: they take the anti-join).
 *
 * ```ts
 * sortedKeyOrder([{ name: 'order_id', type: 'bigint' }], ['order_id'])
 * // { orderBy: '"order_id"', recordBytes: 14, compare }   →  COPY (SELECT "order_id" FROM … ORDER BY "order_id") TO STDOUT (FORMAT binary)
 * ```
 */
export function sortedKeyOrder(columns: readonly Pick<ColumnDef, 'name' | 'type'>[], key: readonly string[]): SortedKeyOrder | undefined {
  const fields: FieldCompare[] = []
  let offset = 2
  for (const name of key) {
    const width = widths[columns.find((c) => c.name === name)?.type ?? '']
    if (!width) return undefined
    fields.push(fieldCompare(offset + 4, width.bytes, width.signed))
    offset += 4 + width.bytes
  }
  if (fields.length === 0) return undefined
  const [only] = fields
  return {
    orderBy: key.map(quoteIdent).join(', '),
    recordBytes: offset,
    compare:
      fields.length === 1
        ? only!
        : (a, ao, b, bo) => {
            for (const f of fields) {
              const c = f(a, ao, b, bo)
              if (c !== 0) return c
            }
            return 0
          },
  }
}
