import { EltError } from '@elt/core'
import type { CsvEncoding } from './csv-source-options.ts'

/** The encoding a detected encoding switches to (`decodeInNode`: Windows-1252 decoded in Node, see `CsvDialect`). */
export interface EncodingSwitch {
  from: CsvEncoding
  to: CsvEncoding
  decodeInNode?: boolean
}

/** Why a CSV row did not load. */
export type CsvProblem = 'type' | 'ragged' | 'quote' | 'header' | 'encoding' | 'end-of-data' | 'file' | 'other'

/**
 * A CSV file's content that does not load, located: `file`, `line` (1-based, as an editor shows
 * it), `column` when one field is at fault, with the offending `value` when known. An EltError,
 * so a command prints it as one paragraph with its hint and exits 1.
 */
export class CsvInputError extends EltError {
  readonly file: string
  readonly line: number | undefined
  readonly column: string | undefined
  readonly value: string | undefined
  readonly problem: CsvProblem
  /** An `encoding` problem that reading the file with another encoding solves, when that encoding was detected (see `widenForError`). */
  readonly switchEncoding: EncodingSwitch | undefined

  constructor(
    message: string,
    details: {
      file: string
      line?: number
      column?: string
      value?: string
      problem: CsvProblem
      hint: string
      cause?: unknown
      switchEncoding?: EncodingSwitch
    },
  ) {
    super(message, { hint: details.hint, cause: details.cause })
    this.name = 'CsvInputError'
    this.file = details.file
    this.line = details.line
    this.column = details.column
    this.value = details.value
    this.problem = details.problem
    this.switchEncoding = details.switchEncoding
  }
}
