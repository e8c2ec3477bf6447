import { once } from 'node:events'
import type { Writable } from 'node:stream'
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
    await writeCopyText(client.query(copyFrom(`copy ${quoteIdent(stagingName(name))} (${columns}) from stdin`)), rows)
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

/** Characters per COPY write: a chunk stays a regular heap object (V8 puts one above 128 KB in the large-object space, freed only by a full GC). */
const copyChunkChars = 32 * 1024

/**
 * Writes `lines` to a `COPY … from stdin` stream ≈ 32 K characters at a time, waiting for the
 * socket to drain: a table's batch text (≈ 5 MB of `parcelas`) is never one string or one buffer.
 */
async function writeCopyText(stream: Writable, lines: string[]): Promise<void> {
  const done = finished(stream)
  done.catch(() => {}) // awaited at the end; listening from the first write, so a failure is never unhandled
  let chunk: string[] = []
  let chars = 0
  for (const line of lines) {
    chunk.push(line)
    chars += line.length + 1
    if (chars < copyChunkChars) continue
    const drained = stream.write(chunk.join('\n') + '\n')
    chunk = []
    chars = 0
    if (!drained) await once(stream, 'drain') // rejects when the stream fails
  }
  stream.end(chunk.length > 0 ? chunk.join('\n') + '\n' : undefined)
  await done
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
