import pg from 'pg'
import { qualifiedName, quoteIdent } from '@elt/core'
import { createTablesSql, mongodbExportReader, type CellValue, type DocumentMapping } from '../src/index.ts'

/**
 * The straightforward approach the benchmark compares with, as an ORM-based migration does it:
 * per document one transaction; per row one `INSERT … ON CONFLICT (key) DO UPDATE SET …`; per
 * child table one `DELETE` of the rows the document no longer has; the same validation first.
 * Stops after `limit` documents.
 */
export async function naiveLoad(url: string, file: string, schema: string, mapping: DocumentMapping<unknown>, limit: number): Promise<{ seconds: number; documents: number; rows: number }> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    for (const sql of createTablesSql(mapping, schema)) await client.query(sql)
    const statements = Object.entries(mapping.tables).map(([name, table]) => {
      const columns = Object.keys(table.columns)
      const rest = columns.filter((c) => !table.primaryKey.includes(c))
      const insert =
        `insert into ${qualifiedName(schema, name)} (${columns.map(quoteIdent).join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')}) ` +
        `on conflict (${table.primaryKey.map(quoteIdent).join(', ')}) ` +
        (rest.length ? `do update set ${rest.map((c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`).join(', ')}` : 'do nothing')
      const owner = table.owner
      const remove = owner
        ? (keys: number) =>
            `delete from ${qualifiedName(schema, name)} where ${owner.columns.map((c, i) => `${quoteIdent(c)} = $${i + 1}`).join(' and ')}` +
            (keys ? ` and (${table.primaryKey.map(quoteIdent).join(', ')}) not in (${Array.from({ length: keys }, (_, k) => `(${table.primaryKey.map((_, j) => `$${owner.columns.length + k * table.primaryKey.length + j + 1}`).join(', ')})`).join(', ')})` : '')
        : undefined
      return { name, table, columns, insert, remove }
    })
    const s0 = statements[0]!
    const started = performance.now()
    let documents = 0
    let rows = 0
    const value = (v: CellValue | undefined, type: string) => (v instanceof Date && type === 'date' ? v.toISOString().slice(0, 10) : v ?? null)
    for await (const document of mongodbExportReader.read({ kind: 'mongodb-export', path: file }, {})) {
      if (documents++ >= limit) break
      if (mapping.validate(document).length > 0) continue
      await client.query('begin')
      const byTable = new Map<string, ReturnType<typeof s0.table.rows>>()
      for (const s of statements) {
        const tableRows = s.table.rows(document)
        byTable.set(s.name, tableRows)
        for (const row of tableRows) {
          await client.query(s.insert, s.columns.map((c) => value(row[c], s.table.columns[c]!.type)))
          rows++
        }
        if (s.remove) {
          const owner = mapping.tables[s.table.owner!.table]!
          const ownerRow = byTable.get(s.table.owner!.table)![0]!
          const ownerKey = owner.primaryKey.map((k) => value(ownerRow[k], owner.columns[k]!.type))
          const keys = tableRows.flatMap((row) => s.table.primaryKey.map((k) => value(row[k], s.table.columns[k]!.type)))
          await client.query(s.remove(tableRows.length), [...ownerKey, ...keys])
        }
      }
      await client.query('commit')
    }
    return { seconds: (performance.now() - started) / 1000, documents: Math.min(documents, limit), rows }
  } finally {
    await client.end()
  }
}
