import path from 'node:path'
import type { Readable } from 'node:stream'
import type { TableDef } from '../introspect/catalog.ts'
import { quarantineCsvRows } from '../sources/csv/quarantine-csv-rows.ts'
import type { RejectedCsvRow } from '../sources/csv/rejected-rows.ts'
import { csvCopyFormat } from '../sources/csv/csv-copy-sql.ts'
import { bytesForCopy, csvEncodingOfCopy } from '../sources/csv/csv-encoding.ts'
import { CsvInputError } from '../sources/csv/csv-input-error.ts'
import type { CsvDialect } from '../sources/csv/csv-source-options.ts'
import { explainCopyError } from '../sources/csv/explain-copy-error.ts'
import { guardInferredTypes } from '../sources/csv/guard-inferred-types.ts'
import { guardLatin1Controls } from '../sources/csv/guard-latin1-controls.ts'
import { nextCsvLoadPlan, type CsvLoadPlan } from '../sources/csv/with-csv-retries.ts'
import type { CopyFormat, ExplainedFailure } from '../sources/source-reader.ts'
import type { StageManifest } from './stage-manifest.ts'

/**
 * A staged CSV source's table as the CSV reader would load it: a failed COPY of a staged file is
 * explained in the file's terms (file, line, column), and a late value that does not fit an
 * inferred type widens that column (or a late byte switches that file's detected encoding: UTF-8 →
 * Latin-1 or Windows-1252, Latin-1 → Windows-1252) and retries, as a direct load does. Each staged
 * file is read with its own encoding from the manifest (a glob may mix UTF-8, Windows-1252 and
 * Latin-1 exports). Declared columns and encodings are never changed. With `onError:
 * 'quarantine'`, bad rows switch the files to Node's parser, which keeps them out ({@link quarantine}).
 *
 * ```ts
 * const csv = stagedCsvPlan(manifest)
 * await csv.explain(table, error, '/stage/sales/sales/.2024-01-15.<run>/part-0001.csv')
 * // { retryWith: table with amount numeric, change: 'column "amount": integer → numeric', error }
 * ```
 */
export function stagedCsvPlan(manifest: StageManifest & { csv: NonNullable<StageManifest['csv']> }) {
  const declared = new Set(manifest.csv.declaredColumns)
  const format = manifest.files[0]?.format
  const base: Extract<CopyFormat, { kind: 'csv' }> =
    format?.kind === 'csv' ? format : { kind: 'csv', header: 'match', delimiter: ',', quote: '"', escape: '"', encoding: 'UTF8', null: '', forceNull: true }
  const dialect: CsvDialect = {
    delimiter: base.delimiter,
    quote: base.quote,
    escape: base.escape,
    encoding: csvEncodingOfCopy(base.encoding),
    detected: { delimiter: false, quote: false, encoding: !manifest.csv.declaredEncoding },
  }
  let plan: CsvLoadPlan = {
    columns: manifest.table.columns.map((c) => ({ name: c.name, type: c.type, inferred: !declared.has(c.name) })),
    dialect,
    parseInNode: false,
  }
  const fileLines = new Map<string, (copyLine: number) => number | undefined>()
  /** Each staged file's encoding as extract read it (a glob's files may differ), by file name. */
  const staged = new Map(manifest.files.map((f) => [f.name, f.format.kind === 'csv' ? csvEncodingOfCopy(f.format.encoding) : dialect.encoding]))
  /** A file's dialect after a late byte switched its encoding at load (a detected encoding only). */
  const switched = new Map<string, CsvDialect>()
  /** The dialect to read `file` (a staged file's path) with: its own encoding, as staged or as switched since. */
  const dialectOf = (file: string | undefined): CsvDialect => {
    if (file === undefined) return plan.dialect
    const encoding = staged.get(path.basename(file))
    return switched.get(file) ?? (encoding === undefined ? plan.dialect : { ...plan.dialect, encoding })
  }
  return {
    /**
     * The quarantine path once a bad row asked for it (and the writer takes rejected rows): the
     * file's good rows as COPY text, the bad ones handed to `onRejected`; else undefined.
     */
    quarantine(input: Readable, file: string, onRejected: (row: RejectedCsvRow) => Promise<void>): { stream: Readable; format: CopyFormat } | undefined {
      if (!plan.parseInNode) return undefined
      const q = quarantineCsvRows(input, { file, columns: plan.columns, dialect: dialectOf(file), onRejected })
      fileLines.set(file, q.fileLine)
      return { stream: q.stream, format: { kind: 'text' } }
    },
    /**
     * The fast path's bytes with the current plan's inferred columns guarded
     * against a value PostgreSQL would accept and silently change ({@link guardInferredTypes}), and a
     * detected Latin-1 against a 0x80–0x9F byte that means Windows-1252 ({@link guardLatin1Controls}).
     */
    guard(input: Readable, file: string, fileFormat: CopyFormat): Readable {
      if (fileFormat.kind !== 'csv') return input
      const dialect = dialectOf(file)
      const bytes = guardLatin1Controls(input, { file, dialect })
      return bytesForCopy(guardInferredTypes(bytes, { file, columns: plan.columns, dialect, header: fileFormat.header !== false }), dialect)
    },
    /** The format of the staged file `file`: its own encoding, or the one a late byte switched it to (Latin-1, Windows-1252; UTF-8 when decoded in Node). */
    format(fileFormat: CopyFormat, file: string): CopyFormat {
      return fileFormat.kind === 'csv' ? { ...fileFormat, encoding: csvCopyFormat(dialectOf(file)).encoding } : fileFormat
    },
    async explain(table: TableDef, error: unknown, file: string | undefined): Promise<ExplainedFailure | undefined> {
      const fileDialect = dialectOf(file)
      const explained = error instanceof CsvInputError ? error : file === undefined ? undefined : explainCopyError(error, file, plan.columns, fileDialect, fileLines.get(file))
      if (!explained) return undefined
      const next = nextCsvLoadPlan(explained, { ...plan, dialect: fileDialect }, manifest.csv.onError)
      if (!next) return { error: explained }
      // an encoding switch is the failed file's; widened columns and the Node parser are the table's
      if (next.plan.dialect !== fileDialect && file !== undefined) switched.set(file, next.plan.dialect)
      plan = { ...next.plan, dialect: plan.dialect }
      const types = new Map(plan.columns.map((c) => [c.name, c.type]))
      return { retryWith: { ...table, columns: table.columns.map((c) => ({ ...c, type: types.get(c.name) ?? c.type })) }, change: next.change, error: explained }
    },
  }
}
