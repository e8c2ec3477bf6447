import { stat } from 'node:fs/promises'
import type { ColumnDef, TableDef } from '../../introspect/catalog.ts'
import { selectTables } from '../../introspect/select-tables.ts'
import type { ReaderSession, SourceReader, TablePart, TableReader } from '../source-reader.ts'
import { CsvInputError } from './csv-input-error.ts'
import type { CsvColumn, CsvSourceOptions } from './csv-source-options.ts'
import { describeCsvSource } from './describe-csv-source.ts'
import { explainFileError } from './explain-file-error.ts'
import { openCsvPart, type CsvPart } from './open-csv-part.ts'
import { nextCsvLoadPlan, type CsvLoadPlan } from './with-csv-retries.ts'

/** A `csv` source as configured (`sources.<name>` in elt.config.ts; `path` absolute once the config is resolved). */
export type CsvReaderConfig = CsvSourceOptions & { kind?: string; targetSchema?: string }

/**
 * CSV files as a source: one table per source. `open` lists the files (that instant is the
 * session's `snapshotAt`), detects the dialect and infers the column types (`describeCsvSource`);
 * `discover` gives the table (`<sourceName>.<table>` → `<targetSchema>.<table>`, columns named
 * exactly as in the header, no keys); `read` yields one part per file in name order: the file's
 * bytes for PostgreSQL to parse (`FORMAT csv, HEADER MATCH`), or, after a file had bad rows and
 * with `onError: 'quarantine'`, Node-parsed good rows in COPY text while the bad ones go to
 * `options.rejected`. `explain` names file, line and column of a failed COPY and asks the writer
 * for another attempt when an inferred column must be widened, a detected encoding was wrong, or
 * bad rows are to be quarantined (`nextCsvLoadPlan`).
 *
 * ```ts
 * const session = await csvReader.open({ path: '/repo/data/sales-*.csv.gz', table: 'sales' }, { sourceName: 'sales', targetSchema: 'raw', … })
 * const { tables: [table] } = await session.discover() // sales.sales → raw.sales, columns [{ name: 'id', type: 'integer', … }, …]
 * ```
 */
export const csvReader: SourceReader<CsvReaderConfig> = {
  kind: 'csv',
  async open(config, context) {
    const listedAt = new Date()
    const description = await describeCsvSource(config)
    const sizes = await Promise.all(description.files.map((f) => stat(f).then((s) => s.size, () => 0)))
    const onError = config.onError ?? 'fail'
    let plan: CsvLoadPlan = { columns: description.columns, dialect: description.dialect, parseInNode: false }
    const tableOf = (columns: readonly CsvColumn[]): TableDef => ({
      oid: 0,
      schema: context.sourceName,
      name: config.table,
      targetSchema: context.targetSchema,
      partitionKey: null,
      partitions: [],
      columns: columns.map(columnDef),
      referencedBy: [],
      estimatedBytes: sizes.reduce((a, b) => a + b, 0),
      constraints: [],
      indexes: [],
      foreignKeys: [],
      unlogged: false,
      options: null,
    })
    const opened = new WeakMap<TablePart, CsvPart>()
    const reader: TableReader = {
      async *read(_table, options) {
        const current = plan
        for (const file of description.files) {
          if (options.signal?.aborted) throw options.signal.reason
          const rejected = options.rejected
          const part = await openCsvPart(file, {
            columns: current.columns,
            dialect: current.dialect,
            ...(current.parseInNode && rejected ? { onRejected: (row) => rejected({ location: row.file, line: row.line, raw: row.raw, reason: row.reason }) } : {}),
          }).catch((error: unknown) => {
            throw explainFileError(error, file) ?? error
          })
          const tablePart: TablePart = { label: file, stream: part.stream, format: part.format, rowsSent: part.rowsSent }
          opened.set(tablePart, part)
          yield tablePart
        }
      },
      async explain(_table, error, part) {
        const csv = part ? opened.get(part) : undefined
        const explained = error instanceof CsvInputError ? error : await csv?.explain(error)
        if (!explained) return undefined
        const next = nextCsvLoadPlan(explained, plan, onError)
        if (!next) return { error: explained }
        plan = next.plan
        return { retryWith: tableOf(plan.columns), change: next.change, error: explained }
      },
      async done() {},
      async close() {},
    }
    const session: ReaderSession = {
      snapshotAt: listedAt,
      description: `csv ${config.path}`,
      quarantines: onError === 'quarantine',
      discover: async (only) => ({ tables: selectTables([tableOf(plan.columns)], only ?? {}, { unknown: 'ignore' }), types: [], sequences: [] }),
      worker: async () => reader,
      finish: async () => ({ sequences: new Map() }),
      close: async () => {},
    }
    return session
  },
}

/** A CSV column as the writer's column definition: nullable, no default, no keys. */
function columnDef(c: CsvColumn): ColumnDef {
  return {
    name: c.name,
    type: c.type,
    builtin: true,
    notNull: false,
    default: null,
    generated: null,
    identity: null,
    identitySequence: null,
    identitySequenceName: null,
    collation: null,
    statistics: null,
    storage: null,
    compression: null,
    ownedSequences: [],
  }
}
