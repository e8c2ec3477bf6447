import { BinaryRowCounter } from '../load/binary-row-counter.ts'
import type { CopyFormat } from '../sources/source-reader.ts'

/**
 * Counts the rows of a COPY stream as its bytes pass, without parsing values: COPY text
 * ends every row with a newline (newlines in values are escaped); COPY binary is walked by
 * its framing ({@link BinaryRowCounter}); CSV counts record ends outside quotes (a quote
 * inside quotes is doubled, or preceded by the escape character), minus the header line.
 * The delimiter, quote and escape are ASCII, so this works on UTF-8 and Latin-1 bytes alike.
 *
 * ```ts
 * const counter = new CopyRowCounter({ kind: 'csv', header: 'match', delimiter: ',', quote: '"', escape: '"', encoding: 'UTF8', null: '' })
 * counter.push(Buffer.from('id,note\n1,"a\nb"\n2,x\n'))
 * counter.rows // 2
 * ```
 */
export class CopyRowCounter {
  private lines = 0
  private readonly binary: BinaryRowCounter | undefined
  private readonly quote: number | undefined
  private readonly escape: number | undefined
  private inQuote = false
  private escaped = false
  /** The last byte seen was not a record end: a last record without a newline counts too. */
  private open = false

  constructor(private readonly format: CopyFormat) {
    this.binary = format.kind === 'binary' ? new BinaryRowCounter() : undefined
    if (format.kind === 'csv') {
      this.quote = format.quote.charCodeAt(0)
      this.escape = format.escape.charCodeAt(0)
    }
  }

  get rows(): number {
    if (this.binary) return this.binary.rows
    const records = this.lines + (this.open ? 1 : 0)
    return this.format.kind === 'csv' && this.format.header !== false ? Math.max(0, records - 1) : records
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return
    if (this.binary) return this.binary.push(chunk)
    if (this.quote === undefined) {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.lines++
    } else {
      const quote = this.quote
      const escape = this.escape
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i]!
        if (this.escaped) {
          this.escaped = false
          continue
        }
        if (this.inQuote) {
          if (b === escape && escape !== quote) this.escaped = true
          else if (b === quote) this.inQuote = false
        } else if (b === quote) this.inQuote = true
        else if (b === 10) this.lines++
      }
    }
    this.open = chunk[chunk.length - 1] !== 10 || this.inQuote
  }
}
