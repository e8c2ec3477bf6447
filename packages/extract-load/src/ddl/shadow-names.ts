import { createHash } from 'node:crypto'

const short = (text: string) => createHash('sha1').update(text).digest('hex').slice(0, 10)

/**
 * Temporary names used while a table loads, short enough for PostgreSQL's 63-byte limit
 * whatever the table is called: `raw.films` loads into `raw.elt_new_3f2a9c01d4`, its indexes
 * are built as `elt_idx_3f2a9c01d4_0`, … and renamed after the swap.
 */
export function shadowNames(targetSchema: string, table: string) {
  const key = short(`${targetSchema}.${table}`)
  return {
    table: `elt_new_${key}`,
    partition: (name: string) => `elt_new_${short(`${targetSchema}.${name}`)}`,
    index: (i: number) => `elt_idx_${key}_${i}`,
  }
}

/** Leftovers of a killed run are recognised by this pattern and dropped before a new run loads. */
export const shadowPattern = '^elt_new_[0-9a-f]{10}$'
