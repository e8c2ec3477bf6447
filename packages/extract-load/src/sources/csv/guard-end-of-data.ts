import { Transform, type TransformCallback } from 'node:stream'

const marker = Buffer.from('\n\\.')

/**
 * Stops a CSV byte stream at a line that is exactly `\.`: PostgreSQL 15's `COPY … FROM STDIN`
 * reads it as the end of the data, even in CSV format, and silently drops every row after it
 * (inside a quoted field it breaks the field instead). Passes every chunk through untouched; one
 * native `indexOf` per chunk finds the rare candidate. `onMarker` gets the byte offset of the line;
 * the stream then fails with the error it returns.
 *
 * ```ts
 * pipeline(file, new GuardEndOfData((offset) => new Error(`\\. at byte ${offset}`)), copyIn)
 * ```
 */
export class GuardEndOfData extends Transform {
  private offset = 0
  /** The stream's last two bytes so far, to find a marker split across chunks. */
  private tail: Buffer = Buffer.from('\n') // the stream's start counts as a line start
  /** A marker line seen at a chunk's end: it counts if the next byte ends the line (or the stream ends). */
  private pendingAt: number | undefined

  constructor(private readonly onMarker: (offset: number) => Error) {
    super({ highWaterMark: 256 * 1024 })
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.pendingAt !== undefined) {
      if (chunk[0] === 10 || chunk[0] === 13) return callback(this.onMarker(this.pendingAt))
      this.pendingAt = undefined
    }
    // A marker that starts in the previous chunk's tail (`head` holds the byte after it when there is one)…
    const head = Buffer.concat([this.tail, chunk.subarray(0, marker.length)])
    const found = this.findMarker(head, this.offset - this.tail.length, chunk.length <= marker.length) ?? this.findMarker(chunk, this.offset, true)
    this.offset += chunk.length
    const keep = marker.length - 1
    this.tail = chunk.length >= keep ? chunk.subarray(chunk.length - keep) : Buffer.concat([this.tail, chunk]).subarray(-keep)
    if (found !== undefined) return callback(this.onMarker(found))
    callback(null, chunk)
  }

  override _flush(callback: TransformCallback): void {
    callback(this.pendingAt !== undefined ? this.onMarker(this.pendingAt) : null)
  }

  /** The offset of the first `\.` line in `bytes` (which start at stream offset `start`). */
  private findMarker(bytes: Buffer, start: number, endsAtChunkEnd: boolean): number | undefined {
    for (let i = bytes.indexOf(marker); i !== -1; i = bytes.indexOf(marker, i + 1)) {
      const after = bytes[i + marker.length]
      const lineStart = start + i + 1
      if (after === 10 || after === 13) return lineStart
      if (after === undefined && endsAtChunkEnd) this.pendingAt = lineStart
    }
    return undefined
  }
}
