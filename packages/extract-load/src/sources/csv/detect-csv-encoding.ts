import { windows1252Undefined } from './csv-encoding.ts'

const utf8Bom = Buffer.from([0xef, 0xbb, 0xbf])

/**
 * What a file's first bytes say about its encoding: `utf8` (a BOM, or valid UTF-8 with non-ASCII
 * characters); when not valid UTF-8, `windows-1252` if a byte 0x80–0x9F that Windows-1252 defines
 * is there (`€` `“` `”` `–` `Š` … in Windows-1252, invisible C1 control characters in Latin-1:
 * Excel and Windows exports), else `latin1`; or `ascii` (plain ASCII: all read it the same, so
 * the rest of the file decides). The five bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F,
 * 0x90, 0x9D) read the same in both (see `fileDialect`).
 *
 * ```ts
 * detectCsvEncoding(Buffer.from('São', 'latin1')) // 'latin1'
 * detectCsvEncoding(Buffer.from([0x80, 0x35])) // 'windows-1252' (€5)
 * detectCsvEncoding(Buffer.from('São')) // 'utf8'
 * ```
 */
export function detectCsvEncoding(sample: Buffer): 'utf8' | 'latin1' | 'windows-1252' | 'ascii' {
  if (sample.subarray(0, 3).equals(utf8Bom)) return 'utf8'
  if (!sample.some((byte) => byte >= 0x80)) return 'ascii'
  try {
    // `stream: true`: a character cut at the sample's end is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true })
    return 'utf8'
  } catch {
    return sample.some((byte) => byte >= 0x80 && byte <= 0x9f && !windows1252Undefined(byte)) ? 'windows-1252' : 'latin1'
  }
}
