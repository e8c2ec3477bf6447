/** File encodings a CSV source can have; PostgreSQL's COPY converts each to the database's encoding (`UTF8`, `LATIN1`, `WIN1252`). */
export type CsvEncoding = 'utf8' | 'latin1' | 'windows-1252'

/** What happens to a row that does not fit: fail the table's load (default), or keep the good rows and record the bad ones. */
export type CsvOnError = 'fail' | 'quarantine'

/**
 * A CSV source as written in `elt.config.ts`.
 *
 * ```ts
 * { path: 'data/sales-*.csv.gz', table: 'sales', delimiter: ';', columns: { zip: 'text', amount: 'numeric(12,2)' }, onError: 'quarantine' }
 * ```
 */
export interface CsvSourceOptions {
  /** A file or a glob (`data/*.csv`, `exports/**\/orders-*.csv.gz`); several files load into one table in name order. */
  path: string
  /** The target table's name. */
  table: string
  /** One character; detected from the first file when unset (`,` `;` tab `|`). */
  delimiter?: string
  /** One character; detected when unset (`"` or `'`). */
  quote?: string
  /** One character that escapes a quote inside a quoted field; default: the quote itself (`""`). */
  escape?: string
  /**
   * Detected per file when unset: UTF-8 (with or without BOM), else Windows-1252 when a byte
   * 0x80–0x9F shows up (printable there, control characters in Latin-1), else Latin-1. Set, it is
   * used as it is: `latin1` keeps 0x80–0x9F as control characters.
   */
  encoding?: CsvEncoding
  /** PostgreSQL types per header column (`{ amount: 'numeric(12,2)' }`); the others are inferred. */
  columns?: Record<string, string>
  /** How many data rows of the first file type inference reads (default 10000). */
  inferRows?: number
  onError?: CsvOnError
}

/** How a CSV file is written; `detected` tells which fields came from the data rather than from options. */
export interface CsvDialect {
  delimiter: string
  quote: string
  escape: string
  encoding: CsvEncoding
  detected: { delimiter: boolean; quote: boolean; encoding: boolean }
  /**
   * A detected Windows-1252 with bytes it does not define (0x81, 0x8D, 0x8F, 0x90, 0x9D), which
   * PostgreSQL's WIN1252 conversion rejects: the file is decoded in Node instead (those five bytes
   * become U+0081 …, as WHATWG's windows-1252 decoder and browsers read them; every other byte as
   * Windows-1252) and sent to COPY as UTF-8.
   */
  decodeInNode?: boolean
}

/** A column of a CSV source: its name exactly as in the header and its PostgreSQL type. */
export interface CsvColumn {
  name: string
  type: string
  /** True when the type came from the data (it may be widened if a later value does not fit); false when declared in config. */
  inferred: boolean
}

/** Default number of data rows read for type inference. */
export const defaultInferRows = 10_000
