import { binaryCopyHeaderBytes } from './binary-copy-framing.ts'

const int16 = (b: Uint8Array, i: number) => (((b[i]! << 8) | b[i + 1]!) << 16) >> 16
const int32 = (b: Uint8Array, i: number) => (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!

/**
 * Counts the rows of a binary COPY stream by walking its framing only (the 2-byte field
 * count of each tuple and the 4-byte length of each field); values are skipped, never read.
 * Chunk boundaries may fall anywhere: an integer cut in two is completed from the next chunk.
 *
 * Format: 19-byte header (signature, flags, extension length) + extension, then tuples
 * `int16 fields, (int32 length, bytes)*`, then the trailer `int16 -1`.
 */
export class BinaryRowCounter {
  rows = 0
  /** Stream offset where the last complete row (or the header) ends: where a tuple or the trailer starts. */
  boundary = 0
  /** Length of the stream's header (signature, flags, extension), once read. */
  headerBytes: number | undefined
  private offset = 0
  private header = true
  private done = false
  private fieldsLeft = 0
  private skip = 0
  private carry: number[] = []

  push(chunk: Uint8Array): void {
    const start = this.offset
    this.offset += chunk.length
    const length = chunk.length
    let i = 0
    while (!this.done) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, length - i)
        i += n
        this.skip -= n
        if (this.skip > 0) return
      }
      const need = this.header ? binaryCopyHeaderBytes : this.fieldsLeft > 0 ? 4 : 2
      if (need === 2 && this.carry.length === 0) this.boundary = start + i
      let value: number
      if (this.carry.length === 0 && length - i >= need) {
        value = need === 2 ? int16(chunk, i) : int32(chunk, i + need - 4)
        i += need
      } else {
        while (this.carry.length < need && i < length) this.carry.push(chunk[i++]!)
        if (this.carry.length < need) return
        const bytes = Uint8Array.from(this.carry)
        this.carry = []
        value = need === 2 ? int16(bytes, 0) : int32(bytes, need - 4)
      }
      if (this.header) {
        this.header = false
        this.skip = value // header extension
        this.headerBytes = binaryCopyHeaderBytes + value
      } else if (this.fieldsLeft > 0) {
        this.fieldsLeft--
        if (value > 0) this.skip = value // -1 is NULL
      } else if (value < 0) {
        this.done = true // trailer
      } else {
        this.rows++
        this.fieldsLeft = value
      }
    }
  }
}
