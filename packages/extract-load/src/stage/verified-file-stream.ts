import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { PassThrough, Transform, pipeline, type Readable, type TransformCallback } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { EltError } from '@elt/core'
import { isGzipError } from '../sources/csv/explain-file-error.ts'

/**
 * A staged data file's bytes, checked while they stream: the sha256 and size of the file on
 * disk must be the manifest's. A mismatch is an error at the end of the file, before the stream
 * ends, so the COPY reading it fails and the load's transaction rolls back. `.gz` files are
 * decompressed after the check; a damaged one usually fails decompressing before its end, with
 * the same error naming the file (not zlib's bare `incorrect header check`). Destroying the
 * returned stream closes the file.
 *
 * ```ts
 * const stream = verifiedFileStream('/data/stage/postgres/public.films/.2024-01-15.<run>/part-0001.csv.gz', { sha256, fileBytes, gzip: true, label })
 * ```
 */
export function verifiedFileStream(file: string, expected: { sha256: string; fileBytes: number; gzip: boolean; label: string }): Readable {
  const damaged = (what: string) =>
    new EltError(`The staged file ${file} of ${expected.label} ${what}: it was changed or damaged after the extract.`, {
      hint: 'The table was not loaded and keeps its previous copy. Extract that day again (pnpm elt extract --date …), then load it.',
    })
  const hash = createHash('sha256')
  let bytes = 0
  const verify = new Transform({
    highWaterMark: 1 << 16,
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      bytes += chunk.length
      hash.update(chunk)
      callback(null, chunk)
    },
    flush(callback: TransformCallback) {
      const sha256 = hash.digest('hex')
      if (sha256 === expected.sha256 && bytes === expected.fileBytes) return callback()
      callback(damaged(`does not match its manifest (${bytes} bytes with sha256 ${sha256.slice(0, 12)}…, expected ${expected.fileBytes} bytes with sha256 ${expected.sha256.slice(0, 12)}…)`))
    },
  })
  const out = new PassThrough({ highWaterMark: 1 << 16 })
  const read = createReadStream(file, { highWaterMark: 1 << 16 })
  if (!expected.gzip) {
    // every stream is destroyed with the first error (a mismatch, a read error, the consumer giving up)
    pipeline(read, verify, out, () => {})
    return out
  }
  // the same, with zlib's own errors (a damaged file) said as a damaged staged file
  const gunzip = createGunzip()
  pipeline(read, verify, gunzip, (error) => {
    if (error) out.destroy(isGzipError(error) ? damaged(`cannot be decompressed (${error.message})`) : error)
  })
  gunzip.pipe(out)
  out.on('close', () => gunzip.destroy())
  return out
}
