import { encodingLabel, windows1252Undefined } from './csv-encoding.ts'
import { CsvInputError } from './csv-input-error.ts'
import type { CsvColumn, CsvDialect } from './csv-source-options.ts'

/** SQLSTATEs of a value that does not fit its column's type (invalid text, out of range, bad date/time, too long). */
export const valueErrorCodes: ReadonlySet<string> = new Set(['22P02', '22003', '22007', '22008', '22001'])
/** COPY truncates values it quotes in CONTEXT to about 100 bytes and appends `...`. */
const printoutBytes = 100

interface PgCopyError {
  code: string
  message: string
  where?: string
}

function isPgError(error: unknown): error is PgCopyError {
  return typeof error === 'object' && error !== null && typeof (error as PgCopyError).code === 'string' && typeof (error as PgCopyError).message === 'string'
}

const quarantineHint = "or set onError: 'quarantine' to load the good rows and record the bad ones in _elt_audit.rejected_rows"

/**
 * Turns a failed `COPY … FROM STDIN (FORMAT csv)` of one file into a {@link CsvInputError} naming
 * the file, the line and the column. PostgreSQL's CONTEXT (`COPY t, line 17, column amount: "abc"`)
 * gives the file's physical line (newlines inside quoted fields counted; the line where the
 * record ends) and the column; `fileLine` maps it when the COPY was fed rows rather than the file
 * (the quarantine path). `undefined` when the error is not about the file's content
 * (connection lost, disk full): the caller rethrows it as it is.
 *
 * ```ts
 * explainCopyError(err, 'data/a.csv', columns)
 * // CsvInputError: data/a.csv, line 17, column "amount": "abc" is not a valid integer (invalid input syntax for type integer: "abc").
 * ```
 */
export function explainCopyError(
  error: unknown,
  file: string,
  columns: readonly CsvColumn[],
  dialect?: CsvDialect,
  fileLine: (copyLine: number) => number | undefined = (copyLine) => copyLine,
): CsvInputError | undefined {
  // Only data exceptions (class 22) are about the file; a lost connection during COPY also carries a COPY context.
  if (!isPgError(error) || error.where === undefined || !error.code.startsWith('22')) return undefined
  const context = /(?:^|\n)COPY .*?, line (\d+)(?:, column ([\s\S]*)|: "([\s\S]*)")?$/.exec(error.where)
  if (!context) return undefined
  const line = fileLine(Number(context[1]))
  const at = line === undefined ? file : `${file}, line ${line}`
  const base = { file, ...(line === undefined ? {} : { line }), cause: error }
  const pgMessage = error.message

  if (context[2] !== undefined) {
    const { column, value } = columnAndValue(context[2], columns)
    if (column && valueErrorCodes.has(error.code)) {
      const truncated = value !== undefined && value.endsWith('...') && Buffer.byteLength(value) >= printoutBytes
      const shown = value === undefined ? 'NULL' : JSON.stringify(value)
      return new CsvInputError(`${at}, column "${column.name}": ${shown} is not a valid ${column.type} (${pgMessage}).`, {
        ...base,
        column: column.name,
        ...(value !== undefined && !truncated ? { value } : {}),
        problem: 'type',
        hint: column.inferred
          ? `The type ${column.type} was inferred from the first rows; declare the column's type in the source config (columns: { ${JSON.stringify(column.name)}: 'text' }), ${quarantineHint}.`
          : `Fix the value in the file, declare a type that holds it in the source config, ${quarantineHint}.`,
      })
    }
    return new CsvInputError(`${at}${column ? `, column "${column.name}"` : ''}: ${pgMessage}.`, {
      ...base,
      ...(column ? { column: column.name } : {}),
      problem: 'other',
      hint: `Fix the row in the file, ${quarantineHint}.`,
    })
  }

  const record = context[3]
  const delimiter = dialect ? ` (delimiter ${JSON.stringify(dialect.delimiter)}${dialect.detected.delimiter ? ', detected' : ''})` : ''
  const missing = /^missing data for column "(.*)"$/.exec(pgMessage)
  if (missing || pgMessage === 'extra data after last expected column') {
    const fewer = missing !== null
    return new CsvInputError(
      `${at}: ragged row — it has ${fewer ? 'fewer' : 'more'} fields than the header's ${columns.length}${fewer ? ` (no value for column "${missing[1]}")` : ''}${record !== undefined ? `: ${JSON.stringify(record)}` : ''}.`,
      {
        ...base,
        ...(missing?.[1] !== undefined ? { column: missing[1] } : {}),
        problem: 'ragged',
        hint: `Every row needs one field per header column${delimiter}: fix the row (a field containing the delimiter must be quoted), set the delimiter in the source config if detection was wrong, ${quarantineHint}.`,
      },
    )
  }
  if (pgMessage === 'unterminated CSV quoted field') {
    // CONTEXT quotes the record from its start to where COPY gave up: its line breaks lead back to the opening line.
    const whole = record !== undefined && !(record.endsWith('...') && Buffer.byteLength(record) >= printoutBytes)
    const start = whole && line !== undefined ? line - (record.match(/\n/g)?.length ?? 0) : undefined
    const opening = start !== undefined ? `opened on line ${start}` : `starting ${JSON.stringify(record ?? '')}`
    return new CsvInputError(`${file}: a quoted field ${opening} is never closed (it runs to the end of the file).`, {
      ...base,
      ...(start !== undefined ? { line: start } : {}),
      problem: 'quote',
      hint: `Close the quote, or double quotes that are part of a value (""), or set quote/escape in the source config; ${quarantineHint.replace(/^or /, '')}.`,
    })
  }
  if (/header line/.test(pgMessage)) {
    return new CsvInputError(`${file}: its header does not match the table's columns (${pgMessage}).`, {
      ...base,
      problem: 'header',
      hint: 'Every file of a CSV source must have the same header row as the first file, names and order included.',
    })
  }
  if (error.code === '22021') {
    const encoding = dialect?.encoding ?? 'utf8'
    return new CsvInputError(`${at}: not valid ${encodingLabel(encoding)} (${pgMessage}).`, {
      ...base,
      problem: 'encoding',
      hint: "Set encoding: 'windows-1252' (Excel/Windows exports) or 'latin1' in the source config if the file is not UTF-8, or convert the file to UTF-8.",
      ...(encoding === 'utf8' ? { switchEncoding: { from: 'utf8', to: notUtf8(pgMessage) } } : {}),
    })
  }
  if (error.code === '22P05' && dialect?.encoding === 'windows-1252') {
    // PostgreSQL's WIN1252 has no character for 0x81, 0x8D, 0x8F, 0x90, 0x9D: a detected encoding is then decoded in Node
    return new CsvInputError(`${at}: a byte Windows-1252 does not define (${pgMessage}).`, {
      ...base,
      problem: 'encoding',
      hint: "Fix the byte in the file, or leave encoding unset: a detected Windows-1252 keeps such a byte (as U+0081 …); encoding: 'latin1' reads every byte 0x80–0x9F as a control character.",
      switchEncoding: { from: 'windows-1252', to: 'windows-1252', decodeInNode: true },
    })
  }
  return new CsvInputError(`${at}: ${pgMessage}.`, { ...base, problem: 'other', hint: `Fix the row in the file, ${quarantineHint}.` })
}

/**
 * What a file that is not UTF-8 is, from its first invalid byte as PostgreSQL names it (`invalid
 * byte sequence for encoding "UTF8": 0x93`): a byte 0x80–0x9F that Windows-1252 defines → Windows-1252
 * (a control character in Latin-1), else Latin-1 (the load that follows stops on a later 0x80–0x9F).
 */
function notUtf8(pgMessage: string): 'latin1' | 'windows-1252' {
  const first = /"UTF8": 0x([0-9a-f]{2})/i.exec(pgMessage)?.[1]
  const byte = first === undefined ? 0 : Number.parseInt(first, 16)
  return byte >= 0x80 && byte <= 0x9f && !windows1252Undefined(byte) ? 'windows-1252' : 'latin1'
}

/** CONTEXT's `<column>: "<value>"` (or `<column>: null input`), matched against the known column names. */
function columnAndValue(text: string, columns: readonly CsvColumn[]): { column?: CsvColumn; value?: string } {
  let best: CsvColumn | undefined
  for (const column of columns) {
    if (text.startsWith(`${column.name}: `) && (best === undefined || column.name.length > best.name.length)) best = column
  }
  if (!best) return {}
  const rest = text.slice(best.name.length + 2)
  return rest.startsWith('"') && rest.endsWith('"') ? { column: best, value: rest.slice(1, -1) } : { column: best }
}
