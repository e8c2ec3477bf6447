const utf8Bom = Buffer.from([0xef, 0xbb, 0xbf])

/**
 * What a file's first bytes say about its encoding: `utf8` (a BOM, or valid UTF-8 with non-ASCII
 * characters), `latin1` (not valid UTF-8), or `ascii` (plain ASCII: both read it the same, so the
 * rest of the file decides).
 *
 * ```ts
 * detectCsvEncoding(Buffer.from('São', 'latin1')) // 'latin1'
 * detectCsvEncoding(Buffer.from('São')) // 'utf8'
 * ```
 */
export function detectCsvEncoding(sample: Buffer): 'utf8' | 'latin1' | 'ascii' {
  if (sample.subarray(0, 3).equals(utf8Bom)) return 'utf8'
  if (!sample.some((byte) => byte >= 0x80)) return 'ascii'
  try {
    // `stream: true`: a character cut at the sample's end is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true })
    return 'utf8'
  } catch {
    return 'latin1'
  }
}
