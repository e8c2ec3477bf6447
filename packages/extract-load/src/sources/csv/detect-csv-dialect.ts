import { EltError, ExitCode } from '@elt/core'
import { decodeCsvBytes } from './csv-encoding.ts'
import type { CsvDialect, CsvSourceOptions } from './csv-source-options.ts'
import { detectCsvEncoding } from './detect-csv-encoding.ts'

/** How much of a file's start dialect detection reads. */
export const dialectSampleBytes = 64 * 1024

const delimiters = [',', ';', '\t', '|'] as const

/**
 * Detects a CSV file's dialect from its first bytes (`sample`, after gunzip; BOM included), keeping
 * every field the options set. Encoding: a UTF-8 BOM or valid UTF-8 → `utf8`, else `windows-1252`
 * when a byte 0x80–0x9F is there, else `latin1` ({@link detectCsvEncoding}).
 * Delimiter: of `,` `;` tab `|`, the one that splits the header into the most fields and the
 * following lines into as many (quotes respected). Quote: `'` when fields are wrapped in single
 * quotes and never in double ones, else `"`. Escape: the quote (a doubled quote, as in RFC 4180).
 *
 * ```ts
 * detectCsvDialect(Buffer.from('id;name\n1;"a;b"\n'), {})
 * // { delimiter: ';', quote: '"', escape: '"', encoding: 'utf8', detected: { delimiter: true, quote: true, encoding: true } }
 * ```
 */
export function detectCsvDialect(sample: Buffer, options: Pick<CsvSourceOptions, 'delimiter' | 'quote' | 'escape' | 'encoding'>): CsvDialect {
  for (const key of ['delimiter', 'quote', 'escape'] as const) {
    const value = options[key]
    if (value !== undefined && (value.length !== 1 || value === '\n' || value === '\r')) {
      throw new EltError(`CSV option ${key} must be one character (not a line break), got ${JSON.stringify(value)}.`, {
        hint: `Fix ${key} in the source's config, or remove it to detect it from the file.`,
        exitCode: ExitCode.usage,
      })
    }
  }
  const detected = detectCsvEncoding(sample)
  const encoding = options.encoding ?? (detected === 'ascii' ? 'utf8' : detected)
  const text = decodeCsvBytes(sample, encoding).replace(/^\uFEFF/, '')
  const lines = completeLines(text, sample.length < dialectSampleBytes)
  const quote = options.quote ?? detectQuote(lines, options.delimiter)
  const delimiter = options.delimiter ?? detectDelimiter(text, quote, sample.length < dialectSampleBytes)
  if (delimiter === quote) {
    throw new EltError(`CSV delimiter and quote are both ${JSON.stringify(delimiter)}.`, { hint: 'Set distinct delimiter and quote in the source config.', exitCode: ExitCode.usage })
  }
  return {
    delimiter,
    quote,
    escape: options.escape ?? quote,
    encoding,
    detected: { delimiter: options.delimiter === undefined, quote: options.quote === undefined, encoding: options.encoding === undefined },
  }
}

/** The sample's lines, without a last one that the sample may have cut (unless the sample is the whole file). */
function completeLines(text: string, wholeFile: boolean): string[] {
  const lines = text.split(/\r?\n/)
  if (!wholeFile && lines.length > 1) lines.pop()
  return lines.filter((line) => line !== '').slice(0, 50)
}

function detectQuote(lines: readonly string[], delimiter: string | undefined): string {
  const seps = (delimiter ? [delimiter] : delimiters).map((d) => d.replace(/[|\\\]^-]/g, '\\$&')).join('')
  // Fields wrapped in the quote: after a line start or a delimiter, up to a delimiter or the line end.
  const wrapped = (q: string) => lines.join('\n').match(new RegExp(`(?:^|[${seps}])${q}[^${q}\\n]*${q}(?=[${seps}]|$)`, 'gm'))?.length ?? 0
  return wrapped("'") > 0 && wrapped('"') === 0 ? "'" : '"'
}

function detectDelimiter(text: string, quote: string, wholeFile: boolean): string {
  let best: { delimiter: string; score: number } = { delimiter: ',', score: 0 }
  for (const delimiter of delimiters) {
    const [header = 1, ...rows] = fieldCounts(text, delimiter, quote, wholeFile)
    if (header < 2) continue
    const consistent = rows.filter((count) => count === header).length
    // Consistency first, then more fields.
    const score = (rows.length === 0 ? 1 : consistent / rows.length) * 1000 + header
    if (score > best.score) best = { delimiter, score }
  }
  return best.delimiter
}

/** Fields per record of the first 50 records, split on `delimiter` outside quotes (a quoted line break stays in its record). */
function fieldCounts(text: string, delimiter: string, quote: string, wholeFile: boolean): number[] {
  const counts: number[] = []
  let fields = 1
  let empty = true
  let quoted = false
  for (const c of text) {
    if (c === quote) quoted = !quoted
    else if (quoted) continue
    else if (c === delimiter) fields++
    else if (c === '\n' || c === '\r') {
      if (!empty) counts.push(fields)
      if (counts.length >= 50) return counts
      fields = 1
      empty = true
      continue
    }
    empty = false
  }
  if (wholeFile && !empty) counts.push(fields) // else the sample may have cut the last record
  return counts
}
