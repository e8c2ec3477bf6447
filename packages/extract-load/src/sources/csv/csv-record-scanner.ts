const LF = 10
const CR = 13
/** A watched field is collected into a buffer that starts this small and doubles as needed … */
const initialValueBytes = 64
/** … up to this; a longer field's `length` still counts every byte (the check sees `length > value.length`). */
const maxValueBytes = 1024 * 1024

/** The bytes that shape a CSV file as PostgreSQL's `COPY … (FORMAT csv)` reads it (single ASCII characters). */
export interface CsvQuoting {
  delimiter: string
  quote: string
  escape: string
}

/** Which fields of each record a {@link CsvRecordScanner} collects, and what it does with each one. */
export interface CsvFieldWatch {
  /** Per field index: whether its bytes are collected. */
  fields: readonly boolean[]
  /** The first record is a header: none of its fields are collected. */
  header: boolean
  /**
   * Called with each collected non-empty field once it ends: its unquoted bytes are `bytes[start, end)`
   * (the chunk itself for an unquoted field inside one chunk, else a copy; `end > bytes.length` when
   * the field was longer than 1 MiB: only its start was kept), `line` the file's physical line where
   * it ends. An error stops the scan.
   */
  check(field: number, bytes: Uint8Array, start: number, end: number, line: number): Error | null
}

/**
 * PostgreSQL's CSV record and field boundaries, found in a byte stream fed chunk by chunk: a quote
 * starts or ends quoting anywhere in a field; inside quotes a doubled quote (or the escape byte before
 * a quote or an escape) is a literal, and delimiters, LF and CR are data; outside quotes LF, CR or
 * CR LF ends a record. Every state survives a chunk split, even between the two bytes of an escape.
 * The delimiter, quote and escape are ASCII, so UTF-8 and Latin-1 bytes scan alike. It counts records
 * (for the stage's row counts) and, with a `watch`, collects the unquoted value of the watched fields
 * (for the CSV guard); it never copies or changes the chunks.
 *
 * ```ts
 * const scanner = new CsvRecordScanner({ delimiter: ',', quote: '"', escape: '"' })
 * scanner.scan(Buffer.from('id,note\r\n1,"a\nb"\r\n2,x'))
 * scanner.finish()
 * scanner.records + (scanner.open ? 1 : 0) // 3 (the header, then two rows: the last one has no newline)
 * ```
 */
export class CsvRecordScanner {
  /** Record ends seen outside quotes (a CR LF is one), the header's included. */
  records = 0
  /** The physical line being scanned (1-based): record ends and newlines inside quoted fields count. */
  line = 1
  /** Bytes came after the last record end (or none came yet but a chunk did): a last record without a newline. */
  open = false
  private readonly delimiter: number
  private readonly quote: number
  private readonly escape: number
  private readonly fields: readonly boolean[]
  /** 1 for the bytes that matter outside quotes: delimiter, quote, LF, CR. */
  private readonly special = new Uint8Array(256)
  private value: Buffer = Buffer.alloc(initialValueBytes)
  private length = 0
  private field = 0
  private collecting: boolean
  private inHeader: boolean
  private inQuote = false
  /** An escape byte ended the previous chunk inside a quoted field: its meaning depends on the next byte. */
  private pendingEscape = false
  /** Stream offset of the last CR outside quotes (a CR LF ends one line, not two). */
  private crAt = -2
  private offset = 0

  constructor(
    quoting: CsvQuoting,
    private readonly watch?: CsvFieldWatch,
  ) {
    this.delimiter = quoting.delimiter.charCodeAt(0)
    this.quote = quoting.quote.charCodeAt(0)
    this.escape = quoting.escape.charCodeAt(0)
    for (const b of [this.delimiter, this.quote, LF, CR]) this.special[b] = 1
    this.fields = watch?.fields ?? []
    this.inHeader = watch?.header ?? false
    this.collecting = !this.inHeader && this.fields[0] === true
  }

  /** Scans one chunk; the first error of `watch.check` stops it (the scanner is then done). */
  scan(chunk: Uint8Array): Error | null {
    const { delimiter, quote, escape, fields, special } = this
    const n = chunk.length
    if (n === 0) return null
    let i = 0
    let value = this.value
    let inQuote = this.inQuote
    let collecting = this.collecting
    let length = this.length
    let line = this.line
    if (this.pendingEscape) {
      this.pendingEscape = false
      const b = chunk[0]!
      let literal = -1
      if (b === quote || b === escape) {
        literal = b
        i = 1
      } else if (escape === quote) inQuote = false // it was the closing quote
      else literal = escape // a literal escape byte; `b` is read below
      if (literal >= 0 && collecting) {
        if (length < value.length || (value = this.grow(length)).length > length) value[length] = literal
        length++
      }
    }
    // A collected field's unquoted bytes stay in the chunk (from `start`) until a quote or the chunk's
    // end makes them go to `value`: a field that is unquoted and inside one chunk is never copied.
    let start = i
    let error: Error | null = null
    let field = this.field
    let inHeader = this.inHeader
    let records = this.records
    let lastEnd = -1
    let crAt = this.crAt - this.offset // relative to this chunk
    for (; i < n; i++) {
      let b = chunk[i]!
      if (inQuote) {
        if (b === escape) {
          if (i + 1 === n) {
            this.pendingEscape = true
            break
          }
          const next = chunk[i + 1]!
          if (next === quote || next === escape) {
            i++
            b = next
          } else if (b === quote) {
            inQuote = false
            start = i + 1
            continue
          }
        } else if (b === quote) {
          inQuote = false
          start = i + 1
          continue
        } else if (b === LF) line++
        if (collecting) {
          if (length < value.length || (value = this.grow(length)).length > length) value[length] = b
          length++
        }
      } else if (special[b] === 0) {
        while (i + 1 < n && special[chunk[i + 1]!] === 0) i++ // the rest of an unquoted stretch
      }
      else if (b === quote) {
        inQuote = true
        if (collecting && i > start) {
          length = this.append(chunk, start, i, length)
          value = this.value
        }
      } else if (b === LF && crAt === i - 1) {
        lastEnd = i // CR LF: one record end
        start = i + 1
      } else {
        if (collecting) {
          if (length === 0) {
            if (i > start) error = this.watch!.check(field, chunk, start, i, line)
          } else {
            length = this.append(chunk, start, i, length)
            value = this.value
            error = this.watch!.check(field, value, 0, length, line)
          }
          if (error) break
        }
        length = 0
        start = i + 1
        if (b === delimiter) collecting = !inHeader && fields[++field] === true
        else {
          if (b === CR) crAt = i
          lastEnd = i
          records++
          line++
          inHeader = false
          field = 0
          collecting = fields[0] === true
        }
      }
    }
    // `value` is `this.value` throughout (`grow` and `append` replace both)
    if (collecting && !inQuote && error === null && n > start) length = this.append(chunk, start, n, length)
    this.open = lastEnd !== n - 1
    this.records = records
    this.field = field
    this.inHeader = inHeader
    this.crAt = crAt + this.offset
    this.offset += n
    this.inQuote = inQuote
    this.collecting = collecting
    this.length = length
    this.line = line
    return error
  }

  /** The end of the stream: checks a last watched field that no newline ended (its closing quote may be the last byte). */
  finish(): Error | null {
    if (this.pendingEscape && this.escape === this.quote) {
      this.pendingEscape = false
      this.inQuote = false
    }
    if (this.inQuote || !this.collecting || this.length === 0) return null
    const length = this.length
    this.length = 0
    return this.watch!.check(this.field, this.value, 0, length, this.line)
  }

  /** `chunk[from, to)` appended to the collected value of `length` bytes (as far as it fits): the new length. */
  private append(chunk: Uint8Array, from: number, to: number, length: number): number {
    let value = this.value
    while (length + (to - from) > value.length && value.length < maxValueBytes) value = this.grow(length)
    if (length < value.length) value.set(chunk.subarray(from, Math.min(to, from + value.length - length)), length)
    return length + (to - from)
  }

  /** A buffer twice as large holding the first `length` bytes, or the same one once it is at the maximum. */
  private grow(length: number): Buffer {
    if (this.value.length >= maxValueBytes) return this.value
    const bigger = Buffer.alloc(Math.min(maxValueBytes, this.value.length * 2))
    this.value.copy(bigger, 0, 0, length)
    this.value = bigger
    return bigger
  }
}
