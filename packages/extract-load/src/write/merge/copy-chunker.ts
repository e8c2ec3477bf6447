import { Transform, type TransformCallback } from 'node:stream'
import { binaryCopyTrailer as trailer } from '../../load/binary-copy-framing.ts'
import { BinaryRowCounter } from '../../load/binary-row-counter.ts'

/**
 * Cuts a COPY stream (`binary` or `text` format) into payloads of whole rows of about `bytes`
 * each, every one a complete COPY input of its own: in binary format each payload gets the
 * stream's header and a trailer (the first keeps its own header, the last its own trailer); in
 * text format rows end with a newline. Objects are emitted, so `readableHighWaterMark` counts
 * payloads: the stream reads ahead up to two payloads while its consumer is busy with the
 * previous one, and no further (a table's window is never held whole).
 *
 * It lets a merge overlap its two halves: while the destination upserts one payload, the source
 * keeps sending the next.
 *
 * ```ts
 * const chunks = pipeline(part.stream, new CopyChunker('binary', 1 << 20), () => {})
 * for await (const payload of chunks) { … COPY pg_temp.elt_delta FROM STDIN (FORMAT binary) ← payload … }
 * ```
 */
export class CopyChunker extends Transform {
  /** Bytes read from the stream so far. */
  bytesIn = 0
  private readonly binary: BinaryRowCounter | undefined
  private pending: Buffer[] = []
  /** Stream offset of `pending[0]`'s first byte, and of the next payload's first row. */
  private pendingStart = 0
  private cut = 0
  private pendingBytes = 0
  private header: Buffer | undefined
  private payloads = 0

  constructor(
    format: 'binary' | 'text',
    private readonly bytes: number,
  ) {
    super({ readableObjectMode: true, readableHighWaterMark: 2, writableHighWaterMark: 1 << 16 })
    this.binary = format === 'binary' ? new BinaryRowCounter() : undefined
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytesIn += chunk.length
    let boundary: number
    if (this.binary) {
      this.binary.push(chunk)
      boundary = this.binary.boundary
    } else {
      const newline = chunk.lastIndexOf(10)
      boundary = newline < 0 ? this.cut : this.pendingStart + this.pendingBytes + newline + 1
    }
    this.pending.push(chunk)
    this.pendingBytes += chunk.length
    if (this.binary && this.header === undefined && this.binary.headerBytes !== undefined && this.binary.headerBytes <= this.bytesIn) {
      this.header = Buffer.from(this.slice(0, this.binary.headerBytes))
    }
    // a binary payload holds at least one row past the header
    const rowsFrom = this.binary ? Math.max(this.cut, this.header?.length ?? Infinity) : this.cut
    if (boundary > rowsFrom && boundary - this.cut >= this.bytes) this.emitUpTo(boundary)
    callback()
  }

  /** The rows after the last cut (in binary format with the stream's own trailer); nothing when only the trailer is left. */
  override _flush(callback: TransformCallback): void {
    const rest = this.slice(this.cut, this.pendingStart + this.pendingBytes)
    if (this.payloads === 0) this.push(rest)
    else if (rest.length > (this.binary ? trailer.length : 0)) this.push(this.binary ? Buffer.concat([this.header!, rest]) : rest)
    callback()
  }

  /** Emits the rows from the last cut up to `boundary` as one payload and drops the bytes before it. */
  private emitUpTo(boundary: number): void {
    const rows = this.slice(this.cut, boundary)
    const first = this.payloads === 0
    this.payloads++
    this.cut = boundary
    // the first binary payload starts with the stream's own header; the others get a copy of it
    this.push(this.binary ? Buffer.concat(first ? [rows, trailer] : [this.header!, rows, trailer]) : rows)
    while (this.pending.length > 0 && this.pendingStart + this.pending[0]!.length <= this.cut) {
      this.pendingStart += this.pending[0]!.length
      this.pendingBytes -= this.pending[0]!.length
      this.pending.shift()
    }
  }

  /** Bytes `[from, to)` of the stream, from the pending buffers. */
  private slice(from: number, to: number): Buffer {
    const parts: Buffer[] = []
    let at = this.pendingStart
    for (const b of this.pending) {
      const lo = Math.max(from, at)
      const hi = Math.min(to, at + b.length)
      if (hi > lo) parts.push(b.subarray(lo - at, hi - at))
      at += b.length
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts)
  }
}
