import { pipeline, Transform, type Readable } from 'node:stream'
import type { CsvDialect, CsvEncoding } from './csv-source-options.ts'

/** Per CSV encoding: PostgreSQL's name for `COPY … (ENCODING …)` and the name people read. */
const encodings: Record<CsvEncoding, { copy: 'UTF8' | 'LATIN1' | 'WIN1252'; label: string }> = {
  utf8: { copy: 'UTF8', label: 'UTF-8' },
  latin1: { copy: 'LATIN1', label: 'Latin-1' },
  'windows-1252': { copy: 'WIN1252', label: 'Windows-1252' },
}

/**
 * PostgreSQL's name of a CSV encoding, for `COPY … (ENCODING …)`.
 *
 * ```ts
 * copyEncodingName('windows-1252') // 'WIN1252' → COPY … (FORMAT csv, …, ENCODING 'WIN1252', …)
 * ```
 */
export function copyEncodingName(encoding: CsvEncoding): 'UTF8' | 'LATIN1' | 'WIN1252' {
  return encodings[encoding].copy
}

/**
 * The CSV encoding of a COPY format's `ENCODING` name (a staged day's manifest stores PostgreSQL's name).
 *
 * ```ts
 * csvEncodingOfCopy('WIN1252') // 'windows-1252'
 * ```
 */
export function csvEncodingOfCopy(name: 'UTF8' | 'LATIN1' | 'WIN1252'): CsvEncoding {
  return (Object.keys(encodings) as CsvEncoding[]).find((e) => encodings[e].copy === name) ?? 'utf8'
}

/** How an encoding is named in messages: `UTF-8`, `Latin-1`, `Windows-1252`. */
export function encodingLabel(encoding: CsvEncoding): string {
  return encodings[encoding].label
}

/**
 * The bytes Windows-1252 gives to 0x80–0x9F (Latin-1's C1 control characters), as characters;
 * the five it leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) stay the control character, as
 * WHATWG's decoder does (PostgreSQL's WIN1252 conversion rejects them: see {@link windows1252Undefined}).
 */
const c1AsWindows1252 = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ'

/** A C1 control character (U+0080–U+009F): a byte 0x80–0x9F in text decoded as Latin-1. */
export const c1Character = /[\u0080-\u009f]/
const c1Characters = new RegExp(c1Character, 'g')

/** Bytes 0x80–0x9F that Windows-1252 does not define: PostgreSQL 15's WIN1252 → UTF8 conversion fails on them (22P05). */
export function windows1252Undefined(byte: number): boolean {
  return byte === 0x81 || byte === 0x8d || byte === 0x8f || byte === 0x90 || byte === 0x9d
}

/**
 * Text decoded as Latin-1 (one character per byte) made Windows-1252: C1 characters U+0080–U+009F
 * become what Windows-1252 gives those bytes. Node's `Buffer` has no Windows-1252, and Latin-1
 * keeps every ASCII byte where it is, so CSV parsing on Latin-1 text and then this is exact.
 *
 * ```ts
 * windows1252FromLatin1(Buffer.from([0x80, 0x35]).toString('latin1')) // '€5'
 * ```
 */
export function windows1252FromLatin1(text: string): string {
  return c1Character.test(text) ? text.replace(c1Characters, (c) => c1AsWindows1252[c.charCodeAt(0) - 0x80]!) : text
}

/**
 * Bytes of a CSV file as text in its encoding.
 *
 * ```ts
 * decodeCsvBytes(Buffer.from([0x93, 0x61, 0x94]), 'windows-1252') // '“a”'
 * ```
 */
export function decodeCsvBytes(bytes: Uint8Array, encoding: CsvEncoding): string {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (encoding === 'utf8') return buffer.toString('utf8')
  const text = buffer.toString('latin1')
  return encoding === 'windows-1252' ? windows1252FromLatin1(text) : text
}

/**
 * A CSV file's bytes as COPY reads them: as they are, or for a Windows-1252 with bytes PostgreSQL's
 * WIN1252 rejects (`decodeInNode`) decoded here ({@link decodeCsvBytes}: 0x81 → U+0081 …) and
 * re-encoded as UTF-8 — one byte is one character, so any chunk decodes alone. The COPY format
 * says UTF8 then (see `csvCopyFormat`).
 *
 * ```ts
 * bytesForCopy(stream, { …dialect, encoding: 'windows-1252', decodeInNode: true }) // 0x80 0x81 → e2 82 ac c2 81
 * ```
 */
export function bytesForCopy(stream: Readable, dialect: Pick<CsvDialect, 'encoding' | 'decodeInNode'>): Readable {
  if (!dialect.decodeInNode) return stream
  const toUtf8 = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      callback(null, Buffer.from(decodeCsvBytes(chunk, 'windows-1252'), 'utf8'))
    },
  })
  // an error at either end destroys both
  return pipeline(stream, toUtf8, () => {})
}
