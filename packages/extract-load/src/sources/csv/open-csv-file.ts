import { createReadStream } from 'node:fs'
import { pipeline, type Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { StripUtf8Bom } from './strip-utf8-bom.ts'

/** An open CSV file: its bytes (gunzipped, BOM dropped) and counters for progress. */
export interface CsvFileStream {
  stream: Readable
  /** Bytes read from the file so far (compressed bytes for `.gz`): progress against the file's size. */
  fileBytes(): number
  /** Bytes passed on so far (uncompressed, after the BOM). */
  bytes(): number
}

/** Read size: large enough that a 1 GB file is a few thousand reads, small enough to keep memory flat. */
const readChunkBytes = 256 * 1024

/**
 * Opens a CSV file as a byte stream for COPY: gunzipped when the name ends in `.gz`, a UTF-8 BOM
 * dropped. Nothing is parsed and nothing is held beyond the streams' buffers. An error at any
 * stage (missing file, corrupt gzip) destroys the whole chain and surfaces on `stream`; destroying
 * `stream` (COPY failed) closes the file.
 *
 * ```ts
 * const { stream } = openCsvFile('data/sales-2024.csv.gz')
 * await pipeline(stream, client.query(copyFrom(csvCopySql(table, columns, dialect))))
 * ```
 */
export function openCsvFile(file: string): CsvFileStream {
  const input = createReadStream(file, { highWaterMark: readChunkBytes })
  const strip = new StripUtf8Bom({ highWaterMark: readChunkBytes })
  const stream = file.toLowerCase().endsWith('.gz')
    ? pipeline(input, createGunzip({ chunkSize: readChunkBytes }), strip, () => {})
    : pipeline(input, strip, () => {})
  return { stream, fileBytes: () => input.bytesRead, bytes: () => strip.bytes }
}
