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
  compare(a: Buffer, b: Buffer): number
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
  const fields: { offset: number; bytes: number; signed: boolean }[] = []
  let offset = 2
  for (const name of key) {
    const width = widths[columns.find((c) => c.name === name)?.type ?? '']
    if (!width) return undefined
    fields.push({ offset: offset + 4, ...width })
    offset += 4 + width.bytes
  }
  if (fields.length === 0) return undefined
  return {
    orderBy: key.map(quoteIdent).join(', '),
    recordBytes: offset,
    compare(a, b) {
      for (const f of fields) {
        // the first byte decides the sign: flipping its top bit makes two's complement sort as unsigned bytes
        if (f.signed && a[f.offset] !== b[f.offset]) return (a[f.offset]! ^ 0x80) - (b[f.offset]! ^ 0x80)
        const c = a.compare(b, f.offset, f.offset + f.bytes, f.offset, f.offset + f.bytes)
        if (c !== 0) return c
      }
      return 0
    },
  }
}
