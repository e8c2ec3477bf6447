import type pg from 'pg'
import { qualifiedName, quoteIdent } from '@elt/core'
import type { TableDef } from '../introspect/catalog.ts'

/**
 * Gives the indexes PostgreSQL built on each partition for an index of its parent (named after
 * the shadow partition, e.g. `elt_new_9b1c04d2e1_amount_idx`) their source names, parents
 * first (a sub-partition's index is found through its parent's, renamed just before). Runs
 * in the swap, after the partitions and the indexes built under temporary names are renamed.
 *
 * ```sql
 * select ic.relname from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_inherits h on h.inhrelid = i.indexrelid
 *  where i.indrelid = to_regclass($1) and h.inhparent = to_regclass($2)       -- '"raw"."payment_p2022_01"', '"raw"."payment_amount_idx"'
 * ALTER INDEX "raw"."elt_new_9b1c04d2e1_amount_idx" RENAME TO "payment_p2022_01_amount_idx"
 * ```
 */
export async function renamePartitionIndexes(client: pg.ClientBase, table: TableDef): Promise<void> {
  for (const p of table.partitions) {
    for (const index of p.attachedIndexes) {
      const { rows } = await client.query<{ name: string }>(
        `select ic.relname as name from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_inherits h on h.inhrelid = i.indexrelid
          where i.indrelid = to_regclass($1) and h.inhparent = to_regclass($2)`,
        [qualifiedName(table.targetSchema, p.name), qualifiedName(table.targetSchema, index.parentIndex)],
      )
      const current = rows[0]?.name
      if (current === undefined) throw new Error(`index ${index.parentIndex} has no partition on ${qualifiedName(table.targetSchema, p.name)} (expected ${index.name})`)
      if (current !== index.name) await client.query(`ALTER INDEX ${qualifiedName(table.targetSchema, current)} RENAME TO ${quoteIdent(index.name)}`)
    }
  }
}
