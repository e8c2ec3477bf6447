import type {} from '@elt/core/testing/global-setup' // declares inject('pgAdminUrl')
import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import pg from 'pg'
import { afterAll, beforeAll, expect, inject } from 'vitest'
import { describeError, qualifiedName } from '@elt/core'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { copyCsvFile } from '../src/sources/csv/copy-csv-file.ts'
import type { CsvColumn, CsvSourceOptions } from '../src/sources/csv/csv-source-options.ts'
import { csvTableDdl } from '../src/sources/csv/csv-table-ddl.ts'
import { describeCsvSource } from '../src/sources/csv/describe-csv-source.ts'
import { migrateRejectedRows, RejectedRowsWriter, type RejectedCsvRow } from '../src/sources/csv/rejected-rows.ts'
import { withCsvRetries } from '../src/sources/csv/with-csv-retries.ts'
import { checkStagedDay } from '../src/stage/check-staged-day.ts'
import { load } from '../src/stage/load-day.ts'
import type { StageRunConfig } from '../src/stage/stage-config.ts'
import type { StageManifest } from '../src/stage/stage-manifest.ts'
import { createPair, type Pair } from './helpers.ts'
import { extractPair, tempStage } from './support/stage-helpers.ts'

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

/**
 * {@link loadCsv} with `onError: 'quarantine'` and a fresh run's `_elt_audit.rejected_rows`: the load
 * and the rows it rejected (file, line, raw).
 *
 * ```ts
 * const { loaded, rejected } = await loadQuarantined(ctx.db, { path: 'q-*.csv', table: 'q' }, ctx.files.dir)
 * // rejected → [{ file: '/tmp/…/q-1.csv', line: 4, raw: '3' }]
 * ```
 */
export async function loadQuarantined(
  db: TestDatabase,
  options: CsvSourceOptions,
  cwd: string,
): Promise<{ loaded: LoadedCsv; rejected: { file: string; line: number; raw: string }[] }> {
  const audit = new pg.Client({ connectionString: db.url })
  await audit.connect()
  try {
    await migrateRejectedRows(audit)
    const runId = randomUUID()
    const writer = new RejectedRowsWriter(audit, { runId, source: 'csv', targetTable: `raw.${options.table}` })
    const loaded = await loadCsv(db, { ...options, onError: 'quarantine' }, cwd, writer)
    const rejected = await db.query<{ file: string; line: number; raw: string }>(`select file, line::int, raw from _elt_audit.rejected_rows where run_id = $1 order by line`, [runId])
    return { loaded, rejected }
  } finally {
    await audit.end()
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

/**
 * A source/destination pair and a stage folder for the staged-day tests of one CSV source named
 * `source` (file in the stage folder, gzip, target `raw.<table>`), made before the tests and removed after.
 *
 * ```ts
 * const staged = csvStageContext('csv_guard_stage', 'codes')
 * const { manifest } = await staged.extract('codes.csv', '2024-06-01') // the day's _manifest.json
 * await staged.load('codes.csv', '2024-06-01', 3) // load --date, which must load 3 rows into raw.codes
 * ```
 */
export function csvStageContext(prefix: string, source: string, options: { inferRows?: number } = {}) {
  const context = {} as { pair: Pair; stage: Awaited<ReturnType<typeof tempStage>> }
  beforeAll(async () => {
    context.pair = await createPair(inject('pgAdminUrl'), prefix)
    context.stage = await tempStage()
  })
  afterAll(async () => {
    await context.pair?.drop()
    await context.stage?.remove()
  })
  const configOf = (file: string): StageRunConfig => {
    const csv = { kind: 'csv', targetSchema: 'raw', path: path.join(context.stage.dir, file), table: source, inferRows: options.inferRows ?? 2 }
    return { sources: { [source]: csv }, stage: { dir: context.stage.dir, compression: 'gzip' }, timezone: 'UTC' }
  }
  return {
    get destination(): TestDatabase {
      return context.pair.destination
    },
    /** Writes `content` as `file` in the stage folder (the source's path). */
    write: (file: string, content: string | Buffer) => writeFile(path.join(context.stage.dir, file), content),
    /** `extract --date` of the source: the day's manifest and where it is. */
    async extract(file: string, date: string): Promise<{ manifest: StageManifest; manifestPath: string }> {
      await extractPair(context.pair, configOf(file), date)
      const [day] = await checkStagedDay(context.stage.dir, date, [{ source }])
      const manifestPath = path.join(day!.tables[0]!.dir, '_manifest.json')
      return { manifest: JSON.parse(await readFile(manifestPath, 'utf8')) as StageManifest, manifestPath }
    },
    /** `load --date` of the source, which must load `rows` rows into `raw.<source>`. */
    async load(file: string, date: string, rows: number): Promise<void> {
      const summary = await load({
        config: configOf(file),
        destination: { label: 'destination', url: context.pair.destination.url },
        date,
        runId: randomUUID(),
        jobs: 1,
        connectWaitSeconds: 5,
        retry: { maxRetries: 1, delaySeconds: 0.1 },
      }).catch((error: unknown) => describeError(error))
      expect(summary).toMatchObject({ tables: [{ target: `raw.${source}`, rows }] })
    },
  }
}
