import { binaryCopyHeaderBytes as headerBytes } from '../../load/binary-copy-framing.ts'

/** `next()` when the bytes read so far hold no whole row: `await refill()`, then call it again. */
export const needMore = -1
/** `next()` after the trailer. */
export const ended = -2

/**
 * Reads the rows of a binary COPY stream whose rows all have the same length (a key of
 * fixed-width columns: see `sortedKeyOrder`) without an `await` or an object per row: `next()`
 * returns the offset of the next row in `buffer` ({@link needMore} when the bytes read so far hold
 * no whole row: `await refill()` reads more; {@link ended} after the trailer). A row's bytes stay
 * valid while the caller keeps `buffer` (a refill makes a new one). The header's extension is
 * skipped; a row with another field count than `fields` is an error.
 *
 * ```ts
 * const keys = new FixedRecordCursor(copyOut[Symbol.asyncIterator](), { recordBytes: 14, fields: 1, label: 'raw.orders (keys)' })   // one bigint column
 * let at = keys.next(); while (at === needMore) { await keys.refill(); at = keys.next() }
 * if (at !== ended) keys.buffer.readInt32BE(at + 6) // the bigint's high half
 * ```
 */
export class FixedRecordCursor {
  buffer: Buffer = Buffer.alloc(0)
  private position = 0
  private header = true
  private streamEnded = false
  private done = false
  private readonly recordBytes: number
  private readonly fields: number
  private readonly label: string

  constructor(
    private readonly chunks: AsyncIterator<Buffer>,
    layout: { recordBytes: number; fields: number; label: string },
  ) {
    this.recordBytes = layout.recordBytes
    this.fields = layout.fields
    this.label = layout.label
  }

  next(): number {
    if (this.done) return ended
    const left = this.buffer.length - this.position
    if (this.header) {
      if (left < headerBytes) return this.short()
      const extension = this.buffer.readUInt32BE(this.position + 15)
      if (left < headerBytes + extension) return this.short()
      this.position += headerBytes + extension
      this.header = false
      return this.next()
    }
    if (left < 2) return this.short()
    const fields = this.buffer.readInt16BE(this.position)
    if (fields === -1) {
      this.done = true
      return ended
    }
    if (fields !== this.fields) throw new Error(`${this.label}: a row with ${fields} fields where ${this.fields} were expected.`)
    if (left < this.recordBytes) return this.short()
    const at = this.position
    this.position += this.recordBytes
    return at
  }

  /** Reads the next chunk, keeping the bytes of a row cut in two. */
  async refill(): Promise<void> {
    const { value, done } = await this.chunks.next()
    if (done) {
      this.streamEnded = true
      return
    }
    const rest = this.buffer.subarray(this.position)
    this.buffer = rest.length === 0 ? value : Buffer.concat([rest, value])
    this.position = 0
  }

  /** After the trailer: reads the stream to its end (the COPY's completion), so its connection takes the next statement. */
  async finish(): Promise<void> {
    while (!this.streamEnded) await this.refill()
  }

  /** No whole row in the buffer: more to read, or a stream that ended early. */
  private short(): number {
    if (this.streamEnded) throw new Error(`${this.label}: the COPY stream ended inside a row or before its trailer.`)
    return needMore
  }
}
