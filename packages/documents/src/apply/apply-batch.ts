import { finished } from 'node:stream/promises'
import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { quoteIdent } from '@elt/core'
import type { DocumentMapping } from '../mapping/define-document-mapping.ts'
import { applyChildSql, applyRootSql, stagingName } from './table-sql.ts'
import { uniqueCollision } from './unique-collision.ts'

/** What one batch did to one table. */
export interface TableCounts {
  table: string
  inserted: number
  updated: number
  deleted: number
  unchanged: number
}

/**
 * Applies one batch whose rows are already prepared (`lines` per table, COPY text with the
 * document ordinal last), inside the caller's transaction: COPY into each staging table, then per
 * table, parents before children, one upsert (and for a child one delete of the rows its
 * document no longer has). No per-document statement.
 *
 * ```ts
 * await client.query('begin')
 * const counts = await applyBatch(client, mapping, 'ccb', lines) // [{ table: 'clientes', inserted: 3, … }, …]
 * await client.query('commit')
 * ```
 */
export async function applyBatch(client: pg.ClientBase, mapping: DocumentMapping<unknown>, schema: string, lines: ReadonlyMap<string, string[]>): Promise<TableCounts[]> {
  for (const [name, table] of Object.entries(mapping.tables)) {
    const rows = lines.get(name)
    if (!rows || rows.length === 0) continue
    const columns = [...Object.keys(table.columns), '_doc'].map(quoteIdent).join(', ')
    const stream = client.query(copyFrom(`copy ${quoteIdent(stagingName(name))} (${columns}) from stdin`))
    stream.end(rows.join('\n') + '\n')
    await finished(stream)
  }
  // a unique key (not the primary key) taken by another row fails the batch naming both rows (`uniqueCollision`)
  await client.query('savepoint elt_doc_apply')
  try {
    return await applyTables(client, mapping, schema)
  } catch (error) {
    const violated = error as { code?: string; table?: string }
    const table = violated.code === '23505' && violated.table ? mapping.tables[violated.table] : undefined
    if (!table || !violated.table) throw error
    await client.query('rollback to savepoint elt_doc_apply')
    throw (await uniqueCollision(client, schema, violated.table, table, error)) ?? error
  }
}

async function applyTables(client: pg.ClientBase, mapping: DocumentMapping<unknown>, schema: string): Promise<TableCounts[]> {
  const counts: TableCounts[] = []
  for (const [name, table] of Object.entries(mapping.tables)) {
    let result: { rows: number; inserted: number; updated: number }
    let deleted = 0
    if (table.version) {
      const statements = applyRootSql(schema, name, table, mapping)
      for (const sql of statements.slice(0, -1)) await client.query(sql)
      result = (await client.query(statements.at(-1)!)).rows[0]
    } else {
      const ownerKey = mapping.tables[table.owner!.table]!.primaryKey
      const { upsert, remove } = applyChildSql(schema, name, table, ownerKey)
      result = (await client.query(upsert)).rows[0]
      deleted = (await client.query(remove)).rowCount ?? 0
    }
    counts.push({ table: name, inserted: result.inserted, updated: result.updated, deleted, unchanged: result.rows - result.inserted - result.updated })
  }
  return counts
}
