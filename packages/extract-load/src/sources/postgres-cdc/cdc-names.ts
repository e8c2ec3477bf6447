/**
 * The replication slot and publication of a pipeline: `elt_<source name>`, lower case, other
 * characters as `_` (slot names allow `[a-z0-9_]` only), at most 63 bytes.
 *
 * ```ts
 * cdcNames('postgres') // { slot: 'elt_postgres', publication: 'elt_postgres' }
 * ```
 */
export function cdcNames(sourceName: string): { slot: string; publication: string } {
  const name = `elt_${sourceName.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63)
  return { slot: name, publication: name }
}

/** An LSN (`16/B374D848`) as a number, to compare positions. */
export function lsnValue(lsn: string): bigint {
  const [high, low] = lsn.split('/')
  return (BigInt(`0x${high ?? '0'}`) << 32n) | BigInt(`0x${low ?? '0'}`)
}

/** A number back to an LSN in PostgreSQL's form (`16/B374D848`). */
export function lsnText(value: bigint): string {
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`
}
