import { Transform, type TransformCallback } from 'node:stream'
import { BinaryRowCounter } from './binary-row-counter.ts'

/**
 * Passes COPY bytes through untouched and counts bytes and rows for progress. In text
 * format every row ends with a newline byte (newlines inside values are escaped); in binary
 * format {@link BinaryRowCounter} walks the tuple framing. The authoritative row count is
 * still `COPY`'s own.
 */
export class CountingStream extends Transform {
  bytes = 0
  private textRows = 0
  private readonly binary: BinaryRowCounter | undefined
  private lastReport = 0

  constructor(
    format: 'binary' | 'text',
    private readonly onProgress: (rows: number, bytes: number) => void,
    private readonly intervalMs = 250,
  ) {
    super({ highWaterMark: 1 << 16 })
    this.binary = format === 'binary' ? new BinaryRowCounter() : undefined
  }

  get rows(): number {
    return this.binary ? this.binary.rows : this.textRows
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length
    if (this.binary) this.binary.push(chunk)
    else for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.textRows++
    const now = Date.now()
    if (now - this.lastReport >= this.intervalMs) {
      this.lastReport = now
      this.onProgress(this.rows, this.bytes)
    }
    callback(null, chunk)
  }

  /** A last report at the end, so the final progress shows every row. */
  override _flush(callback: TransformCallback): void {
    this.onProgress(this.rows, this.bytes)
    callback()
  }
}
