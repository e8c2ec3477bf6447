import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { EJSON } from 'bson'
import type { TestDatabase } from '@elt/core/testing'
import { ccb_contracts } from '../../models/src/documents/ccb-contracts.ts'
import { cloneCcb, generateCcbDocuments, type Ccb } from '../bench/ccb-generator.ts'
export { cloneCcb }
import { loadDocuments, mongodbExportReader, type LoadDocumentsOptions } from '../src/index.ts'

export { ccb_contracts }
export const ccbTables = Object.keys(ccb_contracts.tables)

/** `count` valid generated contracts (no versions, no invalid ones), fresh objects on every call. */
export function contracts(count: number, seed = 7): Ccb[] {
  const out: Ccb[] = []
  for (const { document, invalid } of generateCcbDocuments({ contracts: count * 2, seed })) {
    if (invalid || out.some((d) => d.numero_ccb === document.numero_ccb)) continue
    out.push(document)
    if (out.length === count) break
  }
  return out
}

export interface TempDir {
  dir: string
  /** Writes documents as JSON Lines (relaxed Extended JSON unless `relaxed: false`). */
  jsonl(name: string, documents: readonly object[], relaxed?: boolean): Promise<string>
  remove(): Promise<void>
}

export async function tempDir(): Promise<TempDir> {
  const dir = await mkdtemp(path.join(tmpdir(), 'elt-documents-'))
  return {
    dir,
    async jsonl(name, documents, relaxed = true) {
      const file = path.join(dir, name)
      await writeFile(file, documents.map((d) => EJSON.stringify(d, { relaxed })).join('\n') + '\n')
      return file
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  }
}

/** Loads an export file (or glob) into `schema` with the CCB mapping. */
export function loadFile(db: TestDatabase, file: string, options: Partial<LoadDocumentsOptions<unknown>> & { schema?: string } = {}) {
  return loadDocuments({
    destination: { label: 'destination', url: db.url },
    source: { name: 'ccb', reader: mongodbExportReader, config: { kind: 'mongodb-export', path: file }, mapping: ccb_contracts, targetSchema: options.schema ?? 'ccb' },
    maxRejectedRatio: 1,
    connectWaitSeconds: 5,
    ...options,
  })
}

/** Every row of the eight tables, ordered by key, as JSON text per table: equal dumps mean equal data. */
export async function dump(db: TestDatabase, schema = 'ccb'): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {}
  for (const [name, table] of Object.entries(ccb_contracts.tables)) {
    out[name] = (await db.query(`select * from "${schema}"."${name}" order by ${table.primaryKey.map((k) => `"${k}"`).join(', ')}`)).map((r) => JSON.stringify(r))
  }
  return out
}

/** `table:xmin:key` of every row: unchanged when nothing was written. */
export async function rowVersions(db: TestDatabase, schema = 'ccb'): Promise<string[]> {
  const out: string[] = []
  for (const [name, table] of Object.entries(ccb_contracts.tables)) {
    const rows = await db.query<{ v: string }>(`select '${name}:' || xmin::text || ':' || concat_ws(',', ${table.primaryKey.map((k) => `"${k}"`).join(', ')}) as v from "${schema}"."${name}" order by 1`)
    out.push(...rows.map((r) => r.v))
  }
  return out
}

/** Rows violating a foreign key of the mapping (checked by query, as another session sees the committed state). */
export async function orphans(db: TestDatabase, schema = 'ccb'): Promise<number> {
  let total = 0
  for (const [name, table] of Object.entries(ccb_contracts.tables)) {
    for (const fk of table.foreignKeys ?? []) {
      const on = fk.columns.map((c, i) => `p."${fk.referencedColumns[i]}" = c."${c}"`).join(' and ')
      const rows = await db.query<{ n: number }>(`select count(*)::int as n from "${schema}"."${name}" c where not exists (select 1 from "${schema}"."${fk.references}" p where ${on})`)
      total += rows[0]!.n
    }
  }
  return total
}
