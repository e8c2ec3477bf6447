import { Transform, type TransformCallback } from 'node:stream'

const bom = Buffer.from([0xef, 0xbb, 0xbf])

/**
 * Drops a UTF-8 byte order mark at the start of a stream (COPY would read it as part of the first
 * column's name) and counts the bytes that pass. Every chunk after the first few bytes goes through
 * untouched.
 *
 * ```ts
 * pipeline(createReadStream('a.csv'), new StripUtf8Bom(), copyIn) // EF BB BF "id,name\n…" → "id,name\n…"
 * ```
 */
export class StripUtf8Bom extends Transform {
  /** Bytes passed on (after the BOM). */
  bytes = 0
  private head: Buffer | undefined = Buffer.alloc(0)

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.head === undefined) {
      this.bytes += chunk.length
      callback(null, chunk)
      return
    }
    const head = Buffer.concat([this.head, chunk])
    if (head.length < bom.length && bom.subarray(0, head.length).equals(head)) {
      this.head = head // too short to tell yet
      callback()
      return
    }
    this.head = undefined
    const rest = head.subarray(0, bom.length).equals(bom) ? head.subarray(bom.length) : head
    this.bytes += rest.length
    callback(null, rest)
  }

  override _flush(callback: TransformCallback): void {
    if (this.head !== undefined && this.head.length > 0) {
      this.bytes += this.head.length
      this.push(this.head)
    }
    callback()
  }
}
