import type { CsvDialect } from './csv-source-options.ts'
import { dialectSampleBytes } from './detect-csv-dialect.ts'
import { detectCsvEncoding } from './detect-csv-encoding.ts'
import { readCsvStart } from './read-csv-start.ts'

/**
 * The dialect to read one file of a source with: the source's, except that a detected encoding is
 * detected again per file, so a glob can mix UTF-8 and Latin-1 exports. A file whose start is
 * plain ASCII keeps the source's encoding (UTF-8, or Latin-1 after a late non-UTF-8 byte).
 *
 * ```ts
 * await fileDialect('data/2019.csv', dialect) // { …dialect, encoding: 'latin1' } for an old Latin-1 export
 * ```
 */
export async function fileDialect(file: string, dialect: CsvDialect): Promise<CsvDialect> {
  if (!dialect.detected.encoding) return dialect
  const encoding = detectCsvEncoding(await readCsvStart(file, dialectSampleBytes))
  return encoding === 'ascii' || encoding === dialect.encoding ? dialect : { ...dialect, encoding }
}
