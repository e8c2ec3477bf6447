import { BinaryRowCounter } from '../load/binary-row-counter.ts'
import { CsvRecordScanner } from '../sources/csv/csv-record-scanner.ts'
import type { CopyFormat } from '../sources/source-reader.ts'

/**
 * Counts the rows of a COPY stream as its bytes pass, without parsing values: COPY text
 * ends every row with a newline (newlines in values are escaped); COPY binary is walked by
 * its framing ({@link BinaryRowCounter}); CSV counts the records PostgreSQL's CSV parser sees
 * ({@link CsvRecordScanner}: LF, CR or CR LF outside quotes; quotes doubled or escaped), minus the
 * header line.
 *
 * ```ts
 * const counter = new CopyRowCounter({ kind: 'csv', header: 'match', delimiter: ',', quote: '"', escape: '"', encoding: 'UTF8', null: '' })
 * counter.push(Buffer.from('id,note\n1,"a\nb"\n2,x\n'))
 * counter.rows // 2
 * ```
 */
export class CopyRowCounter {
  private lines = 0
  /** COPY text: the last byte seen was not a newline, so a last row without one counts too. */
  private open = false
  private readonly binary: BinaryRowCounter | undefined
  private readonly csv: CsvRecordScanner | undefined

  constructor(private readonly format: CopyFormat) {
    this.binary = format.kind === 'binary' ? new BinaryRowCounter() : undefined
    this.csv = format.kind === 'csv' ? new CsvRecordScanner(format) : undefined
  }

  get rows(): number {
    if (this.binary) return this.binary.rows
    if (!this.csv) return this.lines + (this.open ? 1 : 0)
    const records = this.csv.records + (this.csv.open ? 1 : 0)
    return this.format.kind === 'csv' && this.format.header !== false ? Math.max(0, records - 1) : records
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return
    if (this.binary) return this.binary.push(chunk)
    if (this.csv) {
      this.csv.scan(chunk)
      return
    }
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.lines++
    this.open = chunk[chunk.length - 1] !== 10
  }
}
