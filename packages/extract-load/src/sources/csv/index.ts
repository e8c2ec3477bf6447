/**
 * The CSV source's building blocks, for the reader/writer integration:
 *
 * ```ts
 * const { files, dialect, columns } = await describeCsvSource({ path: 'data/sales-*.csv.gz', table: 'sales' }, { cwd })
 * await withCsvRetries({ columns, dialect }, options.onError ?? 'fail', async ({ columns, dialect, parseInNode }) => {
 *   // writer: begin; CREATE TABLE shadow (csvTableDdl) …
 *   for (const file of files) await copyCsvFile(client, { table: shadow, file, columns, dialect, freeze: true, ...(parseInNode ? { onRejected } : {}) })
 *   // … indexes, ANALYZE, swap, commit
 * })
 * ```
 */
export { describeCsvSource, type CsvSourceDescription } from './describe-csv-source.ts'
export { defaultInferRows, type CsvColumn, type CsvDialect, type CsvEncoding, type CsvOnError, type CsvSourceOptions } from './csv-source-options.ts'
export { openCsvFile, type CsvFileStream } from './open-csv-file.ts'
export { csvCopySql, csvCopyFormat, quarantineCopySql } from './csv-copy-sql.ts'
export { csvTableDdl } from './csv-table-ddl.ts'
export { copyCsvFile, type CopyCsvFileOptions } from './copy-csv-file.ts'
export { explainCopyError } from './explain-copy-error.ts'
export { CsvInputError, type CsvProblem } from './csv-input-error.ts'
export { widenCsvType } from './widen-csv-type.ts'
export { widenForError } from './widen-for-error.ts'
export { withCsvRetries, nextCsvLoadPlan, type CsvLoadPlan } from './with-csv-retries.ts'
export { openCsvPart, type CsvPart } from './open-csv-part.ts'
export { csvReader, type CsvReaderConfig } from './csv-reader.ts'
export { quarantineCsvRows, type QuarantineStream } from './quarantine-csv-rows.ts'
export { migrateRejectedRows, RejectedRowsWriter, type RejectedCsvRow } from './rejected-rows.ts'
