import { parse, type Parser } from 'csv-parse'
import type { CsvDialect } from './csv-source-options.ts'

/** Longest record the Node-side parser holds (an unterminated quote would otherwise swallow the rest of the file). */
export const maxCsvRecordBytes = 64 * 1024 * 1024

/**
 * A streaming `csv-parse` parser that reads a dialect the way PostgreSQL's COPY (FORMAT csv)
 * does: same delimiter, quote, escape and encoding, a quote inside an unquoted field is a
 * character (`relax_quotes`), rows of any length are returned (the caller decides about ragged
 * rows), CRLF or LF line ends. Each record comes as `{ record: string[], info: { lines }, raw? }`.
 *
 * ```ts
 * for await (const { record, info } of stream.pipe(createCsvParser(dialect))) …
 * ```
 */
export function createCsvParser(dialect: CsvDialect, options: { raw?: boolean; to?: number; onSkip?: (error: Error | undefined, raw: string | undefined) => void } = {}): Parser {
  return parse({
    delimiter: dialect.delimiter,
    quote: dialect.quote,
    escape: dialect.escape,
    encoding: dialect.encoding,
    relax_quotes: true,
    relax_column_count: true,
    info: true,
    raw: options.raw ?? false,
    max_record_size: maxCsvRecordBytes,
    ...(options.to !== undefined ? { to: options.to } : {}),
    ...(options.onSkip ? { skip_records_with_error: true, on_skip: (error, raw) => void options.onSkip?.(error, raw) } : {}),
  })
}

/** One parsed record as `createCsvParser` yields it. */
export interface CsvParsedRecord {
  record: string[]
  info: { lines: number }
  raw?: string
}
