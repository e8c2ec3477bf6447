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
 * the source to it. A file is decoded in Node as Windows-1252 (`decodeInNode`) once a byte
 * Windows-1252 does not define (0x81, 0x8D, 0x8F, 0x90, 0x9D) made the source climb there, or when
 * its own start has such a byte (PostgreSQL's WIN1252 conversion rejects them; Latin-1 and
 * Windows-1252 read every other byte but 0x80–0x9F the same).
 *
 * ```ts
 * await fileDialect('data/2019.csv', dialect) // { …dialect, encoding: 'latin1' } for an old Latin-1 export
 * ```
 */
export async function fileDialect(file: string, dialect: CsvDialect): Promise<CsvDialect> {
  if (!dialect.detected.encoding) return dialect
  const sample = await readCsvStart(file, dialectSampleBytes)
  const detected = detectCsvEncoding(sample)
  const encoding: CsvEncoding = detected === 'ascii' || (detected === 'latin1' && dialect.encoding === 'windows-1252') ? dialect.encoding : detected
  const { decodeInNode: _, ...rest } = dialect
  if (encoding === 'utf8') return encoding === dialect.encoding ? dialect : { ...rest, encoding }
  // a byte PostgreSQL's WIN1252 rejects, in this file's start or in a file before it: the file is decoded in Node
  if (dialect.decodeInNode || (detected !== 'ascii' && sample.some(windows1252Undefined))) return { ...rest, encoding: 'windows-1252', decodeInNode: true }
  return encoding === dialect.encoding ? dialect : { ...rest, encoding }
}
