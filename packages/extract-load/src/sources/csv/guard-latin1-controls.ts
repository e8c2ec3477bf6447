import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream'
import { c1Character, decodeCsvBytes } from './csv-encoding.ts'
import { CsvInputError } from './csv-input-error.ts'
import type { CsvDialect } from './csv-source-options.ts'
import { lineAtOffset } from './line-at-offset.ts'

/**
 * Stops a CSV file read as a DETECTED Latin-1 at its first byte 0x80–0x9F that Windows-1252
 * defines: Latin-1 reads those as invisible C1 control characters, Windows-1252 (Excel and Windows
 * exports) as `€` `‘` `’` `“` `”` `–` `—` `Š` `Ž` `œ` `Ÿ` …, which is what such a byte almost always
 * means. The stream fails with a {@link CsvInputError} (`problem: 'encoding'`, its line,
 * `switchEncoding` Latin-1 → Windows-1252) before the byte reaches PostgreSQL, and the retry loads
 * the file again as WIN1252 — decoded in Node (`decodeInNode`) when a byte Windows-1252 does not
 * define (0x81, 0x8D, 0x8F, 0x90, 0x9D; both read it as U+0081 …, PostgreSQL's WIN1252 rejects it)
 * came before. Returns `stream` itself for any other encoding or a declared one, so only detected
 * Latin-1 files pay the scan.
 *
 * ```ts
 * const bytes = guardLatin1Controls(openCsvFile('data/export.csv').stream, { file: 'data/export.csv', dialect })
 * // CsvInputError: data/export.csv, line 48213: byte 0x80 (€ in Windows-1252) is a control character in Latin-1; reading the file as Windows-1252.
 * ```
 */
export function guardLatin1Controls(stream: Readable, options: { file: string; dialect: CsvDialect }): Readable {
  const { file, dialect } = options
  if (dialect.encoding !== 'latin1' || !dialect.detected.encoding) return stream
  // an error at either end destroys both
  return pipeline(stream, new Latin1ControlsPassThrough(file), () => {})
}

class Latin1ControlsPassThrough extends Transform {
  private offset = 0
  /** A byte Windows-1252 does not define was passed on (the reload must then decode in Node). */
  private undefinedSeen = false

  constructor(private readonly file: string) {
    super({ highWaterMark: 256 * 1024 })
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const start = this.offset
    this.offset += chunk.length
    // a native regex scan of the chunk read as Latin-1 text (one character per byte), ~2 GB/s
    const text = chunk.toString('latin1')
    const at = windows1252Defined.exec(text)?.index
    if (at === undefined) {
      this.undefinedSeen ||= c1Character.test(text)
      return callback(null, chunk)
    }
    const decodeInNode = this.undefinedSeen || c1Character.test(text.slice(0, at))
    const byte = chunk[at]!
    void lineAtOffset(this.file, start + at).then(
      (line) => callback(latin1ControlError(this.file, line, byte, decodeInNode)),
      () => callback(latin1ControlError(this.file, undefined, byte, decodeInNode)),
    )
  }
}

/** A C1 character (U+0080–U+009F, a byte 0x80–0x9F read as Latin-1) that Windows-1252 defines: all but U+0081, U+008D, U+008F, U+0090, U+009D. */
const windows1252Defined = /[\u0080\u0082-\u008c\u008e\u0091-\u009c\u009e\u009f]/

function latin1ControlError(file: string, line: number | undefined, byte: number, decodeInNode: boolean): CsvInputError {
  const hex = `0x${byte.toString(16).toUpperCase()}`
  const windows = decodeCsvBytes(Buffer.from([byte]), 'windows-1252')
  return new CsvInputError(
    `${file}${line !== undefined ? `, line ${line}` : ''}: byte ${hex} (${windows} in Windows-1252) is a control character in Latin-1; reading the file as Windows-1252.`,
    {
      file,
      ...(line !== undefined ? { line } : {}),
      problem: 'encoding',
      hint: "Set encoding: 'windows-1252' in the source config to skip the reload, or encoding: 'latin1' to keep 0x80–0x9F as control characters.",
      switchEncoding: { from: 'latin1', to: 'windows-1252', ...(decodeInNode ? { decodeInNode } : {}) },
    },
  )
}
