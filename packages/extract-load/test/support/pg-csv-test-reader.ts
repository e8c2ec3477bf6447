import pg from 'pg'
import copyStreams from 'pg-copy-streams'
import { qualifiedName, quoteIdent } from '@elt/core'
import { copiedColumns } from '../../src/ddl/table-ddl.ts'
import { exportSnapshot, importSnapshot } from '../../src/extract/export-snapshot.ts'
import { readPlan } from '../../src/introspect/read-plan.ts'
import type { SourceReader, TablePart } from '../../src/sources/source-reader.ts'
import type { StageSourceConfig } from '../../src/stage/stage-config.ts'

/**
 * Test support until the postgres reader (sources/postgres) lands: a minimal PostgreSQL reader
 * over the same introspection, one exported snapshot, each table as `COPY … TO STDOUT (FORMAT
 * csv, HEADER)`. Real PostgreSQL, nothing mocked.
 */
export const pgCsvTestReader: SourceReader<StageSourceConfig> = {
  kind: 'postgres',
  async open(_config, context) {
    const connect = async () => {
      const c = new pg.Client({ connectionString: context.database!.url })
      await c.connect()
      await c.query(`SET extra_float_digits = 3; SET timezone = 'UTC'; SET datestyle = 'ISO, YMD'; SET intervalstyle = 'postgres'; SET bytea_output = 'hex'`)
      return c
    }
    const coordinator = await connect()
    const snapshotId = await exportSnapshot(coordinator)
    const { rows } = await coordinator.query<{ at: Date }>('select now() as at')
    const plan = await readPlan(coordinator, { schemas: ['public'], targetSchema: context.targetSchema })
    return {
      snapshotAt: rows[0]!.at,
      description: 'test source',
      discover: async () => plan,
      async worker() {
        const client = await connect()
        return {
          async *read(table): AsyncIterable<TablePart> {
            await importSnapshot(client, snapshotId)
            const columns = copiedColumns(table).map(quoteIdent).join(', ')
            const stream = client.query(copyStreams.to(`COPY (SELECT ${columns} FROM ${qualifiedName(table.schema, table.name)}) TO STDOUT (FORMAT csv, HEADER)`))
            yield {
              label: `${table.schema}.${table.name}`,
              stream,
              format: { kind: 'csv', header: 'match', delimiter: ',', quote: '"', escape: '"', encoding: 'UTF8', null: '' },
              rowsSent: () => stream.rowCount,
            }
          },
          async done() {
            await client.query('COMMIT').catch(() => {})
          },
          async close() {
            await client.end().catch(() => {})
          },
        }
      },
      finish: async () => ({ sequences: new Map() }),
      async close() {
        await coordinator.end().catch(() => {})
      },
    }
  },
}
