/** The binary COPY signature (`PGCOPY\n\377\r\n\0`), flags and header extension length: 19 bytes. */
const headerBytes = 19

/**
 * Reads the rows of a binary COPY stream whose rows all have the same length (a key of
 * fixed-width columns: see `sortedKeyOrder`) without an `await` per row: `next()` returns the next
 * row (a view, valid while the caller keeps it), `null` after the trailer, or `undefined` when
 * the bytes read so far hold no whole row, and then `await refill()` reads more. The header's
 * extension is skipped; a row with another field count than `fields` is an error.
 *
 * ```ts
 * const keys = new FixedRecordCursor(copyOut[Symbol.asyncIterator](), { recordBytes: 14, fields: 1, label: 'raw.orders (keys)' })   // one bigint column
 * let row = keys.next(); while (row === undefined) { await keys.refill(); row = keys.next() }
 * ```
 */
export class FixedRecordCursor {
  private buffer: Buffer = Buffer.alloc(0)
  private position = 0
  private header = true
  private ended = false
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

  next(): Buffer | null | undefined {
    if (this.done) return null
    if (this.header) {
      if (this.buffer.length - this.position < headerBytes) return this.atEnd()
      const extension = this.buffer.readUInt32BE(this.position + 15)
      if (this.buffer.length - this.position < headerBytes + extension) return this.atEnd()
      this.position += headerBytes + extension
      this.header = false
    }
    if (this.buffer.length - this.position < 2) return this.atEnd()
    const fields = this.buffer.readInt16BE(this.position)
    if (fields === -1) {
      this.done = true
      return null
    }
    if (fields !== this.fields) throw new Error(`${this.label}: a row with ${fields} fields where ${this.fields} were expected.`)
    if (this.buffer.length - this.position < this.recordBytes) return this.atEnd()
    const row = this.buffer.subarray(this.position, this.position + this.recordBytes)
    this.position += this.recordBytes
    return row
  }

  /** Reads the next chunk, keeping the bytes of a row cut in two. */
  async refill(): Promise<void> {
    const { value, done } = await this.chunks.next()
    if (done) {
      this.ended = true
      return
    }
    const rest = this.buffer.subarray(this.position)
    this.buffer = rest.length === 0 ? value : Buffer.concat([rest, value])
    this.position = 0
  }

  /** After the trailer: reads the stream to its end (the COPY's completion), so its connection takes the next statement. */
  async finish(): Promise<void> {
    while (!this.ended) await this.refill()
  }

  /** No whole row in the buffer: more to read, or a stream that ended early. */
  private atEnd(): undefined {
    if (this.ended) throw new Error(`${this.label}: the COPY stream ended inside a row or before its trailer.`)
    return undefined
  }
}
