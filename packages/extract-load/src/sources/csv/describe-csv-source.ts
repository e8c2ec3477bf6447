import { EltError, ExitCode } from '@elt/core'
import { type CsvColumn, type CsvDialect, type CsvSourceOptions, defaultInferRows } from './csv-source-options.ts'
import { detectCsvDialect, dialectSampleBytes } from './detect-csv-dialect.ts'
import { expandCsvPath } from './expand-csv-path.ts'
import { inferCsvColumns } from './infer-csv-columns.ts'
import { readCsvStart } from './read-csv-start.ts'

/** What a CSV source holds: its files in load order, how they are written, and the table's columns. */
export interface CsvSourceDescription {
  files: string[]
  dialect: CsvDialect
  columns: CsvColumn[]
}

/**
 * Describes a CSV source without loading it: expands `path`, detects the dialect from the first
 * file's first 64 KiB (options win), reads its header and infers the types of the columns not
 * declared in `columns` from the first `inferRows` rows (across the files in order). Every file of a glob must share the
 * first one's header and dialect (COPY's `HEADER MATCH` checks the header of each).
 *
 * ```ts
 * await describeCsvSource({ path: 'data/sales-*.csv.gz', table: 'sales' }, { cwd: '/repo' })
 * // { files: ['/repo/data/sales-01.csv.gz', …], dialect: { delimiter: ',', … }, columns: [{ name: 'id', type: 'integer', inferred: true }, …] }
 * ```
 */
export async function describeCsvSource(options: CsvSourceOptions, context: { cwd?: string } = {}): Promise<CsvSourceDescription> {
  const inferRows = options.inferRows ?? defaultInferRows
  if (!Number.isInteger(inferRows) || inferRows < 1) {
    throw new EltError(`CSV source "${options.table}": inferRows must be a positive integer, got ${JSON.stringify(options.inferRows)}.`, {
      hint: 'Set inferRows to how many rows type inference reads (default 10000).',
      exitCode: ExitCode.usage,
    })
  }
  const files = await expandCsvPath(options.path, context.cwd)
  const first = files[0] as string
  const dialect = detectCsvDialect(await readCsvStart(first, dialectSampleBytes), options)
  const columns = await inferCsvColumns(files, dialect, { inferRows, ...(options.columns ? { declared: options.columns } : {}) })
  return { files, dialect, columns }
}
