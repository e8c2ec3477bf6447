import type {} from '@elt/core/testing/global-setup' // declares inject('pgAdminUrl')
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import pg from 'pg'
import { afterAll, beforeAll, inject } from 'vitest'
import { qualifiedName } from '@elt/core'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { copyCsvFile } from '../src/sources/csv/copy-csv-file.ts'
import type { CsvColumn, CsvSourceOptions } from '../src/sources/csv/csv-source-options.ts'
import { csvTableDdl } from '../src/sources/csv/csv-table-ddl.ts'
import { describeCsvSource } from '../src/sources/csv/describe-csv-source.ts'
import type { RejectedCsvRow, RejectedRowsWriter } from '../src/sources/csv/rejected-rows.ts'
import { withCsvRetries } from '../src/sources/csv/with-csv-retries.ts'

export type CsvDir = Awaited<ReturnType<typeof csvDir>>

/**
 * A test file's database and folder of CSV files, made before its tests and removed after them.
 *
 * ```ts
 * const ctx = csvTestContext('csv_files')
 * it('…', async () => { await ctx.files.write('a.csv', 'id\n1\n'); await loadCsv(ctx.db, …) })
 * ```
 */
export function csvTestContext(prefix: string): { db: TestDatabase; files: CsvDir } {
  const context = {} as { db: TestDatabase; files: CsvDir }
  beforeAll(async () => {
    context.db = await createTestDatabase(inject('pgAdminUrl'), prefix)
    context.files = await csvDir()
  })
  afterAll(async () => {
    await context.files?.remove()
    await context.db?.drop()
  })
  return context
}

/** A temporary folder for CSV files; `write` takes text or bytes, gzips names ending in `.gz`. */
export async function csvDir(): Promise<{ dir: string; write(name: string, content: string | Buffer): Promise<string>; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'elt-csv-'))
  return {
    dir,
    async write(name, content) {
      const file = path.join(dir, name)
      const bytes = typeof content === 'string' ? Buffer.from(content) : content
      await writeFile(file, name.endsWith('.gz') ? gzipSync(bytes) : bytes)
      return file
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  }
}

export interface LoadedCsv {
  columns: readonly CsvColumn[]
  /** The widenings the retries made (`column "x": integer → numeric`, `encoding: …`). */
  widenings: string[]
  /** Whether the last attempt parsed in Node (quarantine after bad rows). */
  parsedInNode: boolean
  rows: number
}

/**
 * What the writer will do, in small: describe the source, then in one transaction create
 * `public.<table>` and COPY every file into it, retrying with widened columns while a late value
 * does not fit (each attempt rolled back). With `onError: 'quarantine'` (and `rejected` to record
 * into), a file with bad rows is loaded again through the Node path.
 */
export async function loadCsv(db: TestDatabase, options: CsvSourceOptions, cwd: string, rejected?: RejectedRowsWriter): Promise<LoadedCsv> {
  const description = await describeCsvSource(options, { cwd })
  const table = qualifiedName('public', options.table)
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  const changes: string[] = []
  try {
    const { result, plan } = await withCsvRetries(
      description,
      options.onError ?? 'fail',
      async ({ columns, dialect, parseInNode }) => {
        await client.query('begin')
        await rejected?.clear() // a retry starts the record afresh
        try {
          await client.query(`drop table if exists ${table}`)
          await client.query(csvTableDdl(table, columns))
          let rows = 0
          for (const file of description.files) {
            const onRejected = parseInNode && rejected ? { onRejected: (row: RejectedCsvRow) => rejected.add(row) } : {}
            rows += (await copyCsvFile(client, { table, file, columns, dialect, freeze: true, ...onRejected })).rows
          }
          await rejected?.flush()
          await client.query('commit')
          return rows
        } catch (error) {
          await client.query('rollback')
          throw error
        }
      },
      (change) => void changes.push(change),
    )
    return { columns: plan.columns, widenings: changes.filter((c) => !c.startsWith('bad rows')), parsedInNode: plan.parseInNode, rows: result }
  } finally {
    await client.end()
  }
}

/** Column names and types of `public.<table>` as PostgreSQL has them. */
export async function columnTypes(db: TestDatabase, table: string): Promise<Record<string, string>> {
  const rows = await db.query<{ name: string; type: string }>(
    `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type from pg_attribute a
      where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped order by a.attnum`,
    [qualifiedName('public', table)],
  )
  return Object.fromEntries(rows.map((r) => [r.name, r.type]))
}
