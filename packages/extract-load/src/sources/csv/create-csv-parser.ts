import { parse, type CsvError, type Options, type Parser } from 'csv-parse'
import { windows1252FromLatin1 } from './csv-encoding.ts'
import type { CsvDialect } from './csv-source-options.ts'

/** Longest record the Node-side parser holds (an unterminated quote would otherwise swallow the rest of the file). */
export const maxCsvRecordBytes = 64 * 1024 * 1024

/** One parsed record: its fields, the file line it starts on (1-based), and its text as in the file. */
export interface CsvParsedRecord {
  record: string[]
  line: number
  raw: string
}

const lineBreaks = /\r\n|\n|\r/g
const trailingBreak = /(?:\r\n|\n|\r)$/

/**
 * A streaming `csv-parse` parser that reads a dialect the way PostgreSQL's COPY (FORMAT csv)
 * does: same delimiter, quote, escape and encoding, a quote inside an unquoted field is a
 * character (`relax_quotes`), rows of any length are returned (the caller decides about ragged
 * rows), CRLF, LF or CR line ends. Yields {@link CsvParsedRecord}s. Lines are counted here, from
 * each record's text in parse order (csv-parse's own `info.lines` counts a CRLF inside a quoted
 * field twice). With `onSkip`, a record csv-parse cannot read (a quote never closed) is handed
 * there with its line instead of failing the stream.
 *
 * ```ts
 * for await (const { record, line } of file.pipe(createCsvParser(dialect))) …
 * ```
 */
export function createCsvParser(
  dialect: CsvDialect,
  options: { to?: number; onSkip?: (error: CsvError | undefined, raw: string, line: number) => void } = {},
): Parser {
  let next = 1
  const lineOf = (raw: string) => {
    const line = next
    next += (raw.replace(trailingBreak, '').match(lineBreaks)?.length ?? 0) + 1
    return line
  }
  const { onSkip } = options
  const parserOptions: Options<CsvParsedRecord, { record: string[]; raw: string }> = {
    delimiter: dialect.delimiter,
    quote: dialect.quote,
    escape: dialect.escape,
    // Windows-1252 is parsed as Latin-1 (same bytes for every ASCII character) and its C1 characters mapped after.
    encoding: dialect.encoding === 'utf8' ? 'utf8' : 'latin1',
    relax_quotes: true,
    relax_column_count: true,
    raw: true,
    max_record_size: maxCsvRecordBytes,
    on_record: ({ record, raw }) =>
      dialect.encoding === 'windows-1252'
        ? { record: record.map(windows1252FromLatin1), line: lineOf(raw), raw: windows1252FromLatin1(raw) }
        : { record, line: lineOf(raw), raw },
    ...(options.to !== undefined ? { to: options.to } : {}),
    ...(onSkip ? { skip_records_with_error: true, on_skip: (error, raw = '') => void onSkip(error, dialect.encoding === 'windows-1252' ? windows1252FromLatin1(raw) : raw, lineOf(raw)) } : {}),
  }
  // The typings tie a record-mapping `on_record` to the `columns` option; without columns it works the same.
  return parse(parserOptions as unknown as Options)
}

/** A record's text without its line break. */
export function withoutLineBreak(raw: string): string {
  return raw.replace(trailingBreak, '')
}
