import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { Transform, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import { EltError } from '@elt/core'
import type { TableDef } from '../introspect/catalog.ts'
import type { TableReader } from '../sources/source-reader.ts'
import { CopyRowCounter } from './copy-row-counter.ts'
import { syncPath } from './durable-files.ts'
import type { StagedFile } from './stage-manifest.ts'
import { partFileName } from './stage-paths.ts'

export interface WriteStagedTableOptions {
  /** The run's (still hidden) day folder of the table. */
  dir: string
  /** Named in errors (`postgres: public.films`). */
  label: string
  table: TableDef
  reader: TableReader
  compression: 'none' | 'gzip'
  signal?: AbortSignal
  onProgress?: (rows: number, bytes: number) => void
}

/** A passthrough that calls `see` with every chunk (counting, hashing): bytes are never changed or held. */
function tap(see: (chunk: Buffer) => void): Transform {
  return new Transform({
    highWaterMark: 1 << 16,
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      see(chunk)
      callback(null, chunk)
    },
  })
}

/**
 * Streams a table's parts (as the reader produces them, CSV with a header where it can) into
 * `part-0001.csv[.gz]`, `part-0002…` in `dir`: the source stream piped through a row counter,
 * gzip (with `compression: 'gzip'`) and a sha256 into the file, with backpressure all along
 * (`stream.pipeline`: a failure at either end destroys the other). Each file is synced to disk.
 * The rows counted must equal what the source says it sent.
 *
 * ```ts
 * const files = await writeStagedTable({ dir, label: 'postgres: public.films', table, reader, compression: 'gzip' })
 * // [{ name: 'part-0001.csv.gz', format: { kind: 'csv', header: 'match', … }, rows: 118, bytes: 9027, fileBytes: 3120, sha256: '…' }]
 * ```
 */
export async function writeStagedTable(options: WriteStagedTableOptions): Promise<StagedFile[]> {
  await mkdir(options.dir, { recursive: true })
  const gzip = options.compression === 'gzip'
  const files: StagedFile[] = []
  let totalRows = 0
  let totalBytes = 0
  for await (const part of options.reader.read(options.table, { preferred: 'csv', signal: options.signal })) {
    const name = partFileName(files.length + 1, part.format.kind, gzip)
    const counter = new CopyRowCounter(part.format)
    const hash = createHash('sha256')
    let bytes = 0
    let fileBytes = 0
    const count = tap((chunk) => {
      bytes += chunk.length
      counter.push(chunk)
      options.onProgress?.(totalRows + counter.rows, totalBytes + bytes)
    })
    const digest = tap((chunk) => {
      fileBytes += chunk.length
      hash.update(chunk)
    })
    const file = path.join(options.dir, name)
    const stages = gzip ? [part.stream, count, createGzip(), digest] : [part.stream, count, digest]
    try {
      await pipeline([...stages, createWriteStream(file, { flags: 'wx' })], { signal: options.signal })
    } catch (error) {
      part.cancel?.() // the source's end closed at once (a COPY OUT takes no other statement)
      throw error
    }
    await syncPath(file)
    const sent = part.rowsSent()
    if (sent !== undefined && sent !== counter.rows) {
      throw new EltError(`${options.label}: the source sent ${sent} rows for ${part.label} but ${counter.rows} were counted in the staged file ${name}.`, {
        hint: 'Nothing of this day was published. Extract again; if it happens again, report it with the table definition.',
      })
    }
    const rows = sent ?? counter.rows
    files.push({ name, format: part.format, rows, bytes, fileBytes, sha256: hash.digest('hex') })
    totalRows += rows
    totalBytes += bytes
  }
  await syncPath(options.dir)
  return files
}
