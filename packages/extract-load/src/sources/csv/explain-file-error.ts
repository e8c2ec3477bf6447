import { CsvInputError } from './csv-input-error.ts'

const gzipCodes = new Set(['Z_DATA_ERROR', 'Z_BUF_ERROR', 'Z_STREAM_ERROR', 'Z_NEED_DICT', 'ERR_ZLIB_INITIALIZATION_FAILED'])

/** An error of zlib's reading a `.gz` file (`Z_DATA_ERROR`: `incorrect header check`, `Z_BUF_ERROR`: `unexpected end of file`, …): the bytes are not a complete gzip file. */
export function isGzipError(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  return typeof code === 'string' && gzipCodes.has(code)
}
const fileCodes = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'EIO', 'ENOTDIR'])

/**
 * Turns a failure to read a CSV file (missing or unreadable file, corrupt or truncated gzip) into
 * a {@link CsvInputError} naming the file; `undefined` for anything else.
 *
 * ```ts
 * explainFileError(zlibError, 'data/2024.csv.gz')
 * // CsvInputError: data/2024.csv.gz: not a complete gzip file (unexpected end of file).
 * ```
 */
export function explainFileError(error: unknown, file: string): CsvInputError | undefined {
  if (error instanceof CsvInputError || typeof error !== 'object' || error === null) return undefined
  const code = (error as { code?: unknown }).code
  const message = error instanceof Error ? error.message : String(error)
  if (isGzipError(error)) {
    return new CsvInputError(`${file}: not a complete gzip file (${message}).`, {
      file,
      problem: 'file',
      hint: 'The file ends in .gz, so it is read as gzip: copy or download it again (it may be cut short), or rename it if it is not compressed.',
      cause: error,
    })
  }
  if (typeof code === 'string' && fileCodes.has(code)) {
    return new CsvInputError(`${file}: cannot read the file (${message}).`, { file, problem: 'file', hint: 'Check that the file exists and this process may read it.', cause: error })
  }
  return undefined
}
