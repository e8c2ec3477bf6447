import type pg from 'pg'
import { EltError, ExitCode, qualifiedName, quoteIdent } from '@elt/core'
import type { TableMapping } from '../mapping/define-document-mapping.ts'
import { stagingName } from './table-sql.ts'

/**
 * After a unique-key violation (other than the primary key) while applying a batch to `name`:
 * the first value of one of the table's `unique` keys that the batch gives to two different
 * rows (by primary key), or gives to a row while a stored row of another key has it, as an
 * EltError naming both keys, the value and what to do; `undefined` when none is found. Reads the
 * batch's staging table, so call it after rolling back to a savepoint taken after the COPYs.
 *
 * ```sql
 * with c as (select "documento_id", concat_ws(', ', "numero_ccb") as key from "elt_doc_stage_operacoes"
 *   union select t."documento_id", concat_ws(', ', t."numero_ccb") from "ccb"."operacoes" t
 *   where (t."documento_id") in (select "documento_id" from "elt_doc_stage_operacoes"))
 * select concat_ws(', ', "documento_id") as value, array_agg(key order by key) as keys
 *   from c group by "documento_id" having count(*) > 1 order by 1 limit 1
 * ```
 */
export async function uniqueCollision(client: pg.ClientBase, schema: string, name: string, table: TableMapping<unknown>, cause: unknown): Promise<EltError | undefined> {
  const key = table.primaryKey.map(quoteIdent)
  const target = qualifiedName(schema, name)
  const staging = quoteIdent(stagingName(name))
  for (const unique of table.unique ?? []) {
    const columns = unique.map(quoteIdent)
    const { rows } = await client.query<{ value: string; keys: string[] }>(
      `with c as (select ${columns.join(', ')}, concat_ws(', ', ${key.join(', ')}) as key from ${staging}
         union select ${columns.map((c) => `t.${c}`).join(', ')}, concat_ws(', ', ${key.map((k) => `t.${k}`).join(', ')}) from ${target} t
         where (${columns.map((c) => `t.${c}`).join(', ')}) in (select ${columns.join(', ')} from ${staging}))
       select concat_ws(', ', ${columns.join(', ')}) as value, array_agg(key order by key) as keys
         from c group by ${columns.join(', ')} having count(*) > 1 order by 1 limit 1`,
    )
    const found = rows[0]
    if (!found) continue
    const keyNames = table.primaryKey.join(', ')
    const [first, second] = found.keys.map((k) => `"${k}"`)
    return new EltError(
      `${schema}.${name}: ${keyNames} ${first} and ${second} have the same ${unique.join(', ')} "${found.value}", a unique key of the mapping: ` +
        `two documents of different ${keyNames} cannot share it.`,
      {
        hint:
          `Find the documents with ${unique.join(', ')} "${found.value}" in the source and correct the wrong one; if ${keyNames} ${first} was renumbered to ${second}, ` +
          `delete its old row (and its child rows) from ${schema}.${name}, then rerun. Batches committed before this one stay loaded.`,
        exitCode: ExitCode.failure,
        cause,
      },
    )
  }
  return undefined
}
