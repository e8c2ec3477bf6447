import type pg from 'pg'
import { quoteIdent } from '@elt/core'

/**
 * Makes sure the raw table has a unique index on exactly `key` (what `ON CONFLICT (key)` needs):
 * the source's primary key already is one; a configured `primaryKey` that is not gets a unique
 * index, in the caller's transaction.
 *
 * ```sql
 * CREATE UNIQUE INDEX ON "raw"."orders" ("order_no")
 * ```
 */
export async function ensureUniqueKey(client: pg.ClientBase, target: string, key: readonly string[]): Promise<void> {
  const { rows } = await client.query<{ ok: boolean }>(
    `select exists (
       select 1 from pg_index i
        where i.indrelid = $1::regclass and i.indisunique and i.indpred is null and i.indexprs is null
          and (select array_agg(a.attname::text order by a.attname) from pg_attribute a where a.attrelid = i.indrelid and a.attnum = any (i.indkey))
              = (select array_agg(k order by k) from unnest($2::text[]) k)
     ) as ok`,
    [target, key],
  )
  if (!rows[0]?.ok) await client.query(`CREATE UNIQUE INDEX ON ${target} (${key.map(quoteIdent).join(', ')})`)
}
