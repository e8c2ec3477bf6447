import type {} from '@elt/core/testing/global-setup' // declares inject('pgAdminUrl')
import { readFile } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { startRun } from '@elt/core'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { copyCsvFile, csvTableDdl, describeCsvSource } from '@elt/extract-load/csv'
import { buildProject, collectProject, planProject, type BuildProjectResult, type SelectOptions } from '@elt/runner'
import { loadDocuments, mongodbExportReader } from '@elt/documents'
import * as models from '../src/index.ts'

const initSql = new URL('../../../source_db_init/init.sql', import.meta.url)
/** The project's CSV source (elt.config.ts `sources.ticket_sales`). */
export const ticketSalesCsv = fileURLToPath(new URL('../../../source_db_init/ticket_sales.csv', import.meta.url))
/** The project's document source (elt.config.ts `sources.ccb`): a mongoexport of CCB contracts. */
export const ccbExport = fileURLToPath(new URL('../../../source_db_init/ccb_contratos.jsonl', import.meta.url))

/**
 * A test database whose `raw` schema holds the five seed tables of source_db_init/init.sql
 * (run as-is, then `public` renamed to `raw`), as replication would leave them, and
 * `raw.ticket_sales` loaded from source_db_init/ticket_sales.csv with the CSV source's own
 * inference and COPY (as `pnpm elt replicate` loads it), and the `ccb` schema loaded from
 * source_db_init/ccb_contratos.jsonl by the document source.
 */
export async function fixtureDatabase(adminUrl: string, prefix: string): Promise<TestDatabase> {
  const db = await createTestDatabase(adminUrl, prefix)
  await db.query(await readFile(initSql, 'utf8'))
  await db.query('alter schema public rename to raw; create schema public')
  const { files, dialect, columns } = await describeCsvSource({ path: ticketSalesCsv, table: 'ticket_sales' })
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  try {
    await client.query('begin')
    await client.query(csvTableDdl('"raw"."ticket_sales"', columns))
    for (const file of files) await copyCsvFile(client, { table: '"raw"."ticket_sales"', file, columns, dialect, freeze: true })
    await client.query('commit')
  } finally {
    await client.end()
  }
  // the `ccb` schema as the document source leaves it (validated contracts upserted by the ccb_contracts mapping)
  await loadDocuments({
    destination: { label: 'fixture', url: db.url },
    source: { name: 'ccb', reader: mongodbExportReader, config: { kind: 'mongodb-export', path: ccbExport }, mapping: models.ccb_contracts, targetSchema: 'ccb' },
  })
  return db
}

/** Builds this project's models into `schema` of `db`, like `pnpm elt build`. */
export async function buildModels(db: TestDatabase, options: { schema?: string; selection?: SelectOptions; fullRefresh?: boolean } = {}): Promise<BuildProjectResult> {
  const connect = async () => {
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    return client
  }
  const control = await connect()
  try {
    const runId = await startRun(control, { command: 'build', runId: randomUUID() })
    const plan = planProject(collectProject(models), { name: 'prod', schema: options.schema ?? 'analytics' }, options.selection)
    return await buildProject({ plan, runId, control, connect, threads: 4, fullRefresh: options.fullRefresh ?? false })
  } finally {
    await control.end()
  }
}

/** The columns of a relation of `db`, in order, with their SQL types (`format_type`). */
export function columnTypes(db: TestDatabase, relation: string): Promise<{ name: string; type: string }[]> {
  return db.query(
    `select attname as name, format_type(atttypid, atttypmod) as type from pg_attribute
     where attrelid = $1::regclass and attnum > 0 and not attisdropped order by attnum`,
    [relation],
  )
}
