import { windows1252Undefined } from './csv-encoding.ts'
import type { CsvDialect, CsvEncoding } from './csv-source-options.ts'
import { dialectSampleBytes } from './detect-csv-dialect.ts'
import { detectCsvEncoding } from './detect-csv-encoding.ts'
import { readCsvStart } from './read-csv-start.ts'

/**
 * The dialect to read one file of a source with: the source's, except that a detected encoding is
 * detected again per file, so a glob can mix UTF-8, Windows-1252 and Latin-1 exports. A file whose
 * start is plain ASCII keeps the source's encoding (UTF-8, or what a late byte switched it to). A
 * file whose start reads as Latin-1 is read as Windows-1252 once a late 0x80–0x9F byte switched
 * the source to it; one whose start reads as Windows-1252 stays Latin-1 once a byte Windows-1252
 * does not define made the source keep its C1 bytes (`keepC1`); so does a Latin-1 start that has
 * such a byte itself.
 *
 * ```ts
 * await fileDialect('data/2019.csv', dialect) // { …dialect, encoding: 'latin1' } for an old Latin-1 export
 * ```
 */
export async function fileDialect(file: string, dialect: CsvDialect): Promise<CsvDialect> {
  if (!dialect.detected.encoding) return dialect
  const sample = await readCsvStart(file, dialectSampleBytes)
  const detected = detectCsvEncoding(sample)
  const encoding: CsvEncoding =
    detected === 'ascii' || (detected === 'latin1' && dialect.encoding === 'windows-1252') || (detected === 'windows-1252' && dialect.keepC1)
      ? dialect.encoding
      : detected
  // a Latin-1 start with a byte Windows-1252 does not define: no later C1 byte can make it Windows-1252
  if (detected === 'latin1' && encoding === 'latin1' && !dialect.keepC1 && sample.some(windows1252Undefined)) return { ...dialect, encoding, keepC1: true }
  return encoding === dialect.encoding ? dialect : { ...dialect, encoding }
}
