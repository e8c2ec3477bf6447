import type pg from 'pg'

export interface TableHash {
  rows: number
  hash: string
}

/**
 * An order-independent content hash of a table: the sum of the first 64 bits of
 * `md5(row::text)` over all rows, computed by the server. Both sides run with the same
 * session settings (see `session-settings.ts`), so equal tables give equal sums.
 *
 * `only` reads the table's own rows, not those of tables inheriting from it (as `COPY table TO`
 * does); leave it off for a partitioned table, whose rows are all in its partitions.
 *
 * ```sql
 * select count(*) as rows, coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::int8::numeric), 0)::text as hash from only "public"."films" t
 * ```
 */
export async function contentHash(client: pg.ClientBase, qualifiedTable: string, options: { only?: boolean } = {}): Promise<TableHash> {
  const { rows } = await client.query<{ rows: string; hash: string }>(
    `select count(*)::text as rows, coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::int8::numeric), 0)::text as hash from ${options.only ? 'only ' : ''}${qualifiedTable} t`,
  )
  return { rows: Number(rows[0]?.rows), hash: rows[0]?.hash as string }
}
