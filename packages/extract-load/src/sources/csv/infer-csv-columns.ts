import { pipeline } from 'node:stream'
import { EltError, ExitCode } from '@elt/core'
import { checkCsvHeader } from './check-csv-header.ts'
import { checkDeclaredType } from './check-declared-type.ts'
import { createCsvParser, type CsvParsedRecord } from './create-csv-parser.ts'
import type { CsvColumn, CsvDialect } from './csv-source-options.ts'
import { explainFileError } from './explain-file-error.ts'
import { fileDialect } from './file-dialect.ts'
import { CsvTypeInference } from './infer-csv-type.ts'
import { openCsvFile } from './open-csv-file.ts'

/**
 * Reads a CSV source's header (from its first file) and its first `inferRows` data rows (across
 * its files in order, each file's header skipped; streamed, each file closed when done) and returns
 * its columns: names exactly as in the header, types declared in `declared` or else inferred from
 * the rows ({@link CsvTypeInference}; `smallint` only when the rows read were all the source has).
 *
 * ```ts
 * await inferCsvColumns(['data/a.csv'], dialect, { declared: { zip: 'text' }, inferRows: 10000 })
 * // [{ name: 'id', type: 'smallint', inferred: true }, { name: 'zip', type: 'text', inferred: false }]
 * ```
 */
export async function inferCsvColumns(
  files: readonly string[],
  dialect: CsvDialect,
  options: { declared?: Record<string, string>; inferRows: number },
): Promise<CsvColumn[]> {
  const file = files[0] as string
  let header: string[] | undefined
  let inferences: CsvTypeInference[] = []
  let rows = 0
  let wholeSource = true
  for (const [index, each] of files.entries()) {
    if (rows >= options.inferRows) {
      wholeSource = false
      break
    }
    const budget = options.inferRows - rows
    const read = await readSample(each, await fileDialect(each, dialect), budget, (record) => {
      if (header === undefined) {
        header = record
        checkCsvHeader(header, each)
        inferences = header.map(() => new CsvTypeInference())
        return
      }
      rows++
      for (let i = 0; i < inferences.length; i++) inferences[i]?.add(record[i] ?? '')
    }, index > 0)
    if (header === undefined) checkCsvHeader([], each) // the first file has no header row
    if (read > budget) wholeSource = false // stopped at the budget, not at the file's end
  }
  const names: string[] = header ?? []
  const declared = options.declared ?? {}
  const unknown = Object.keys(declared).filter((name) => !names.includes(name))
  if (unknown.length > 0) {
    throw new EltError(`CSV columns ${unknown.map((n) => `"${n}"`).join(', ')} declared in config are not in the header of ${file}.`, {
      hint: `The header has: ${names.map((n) => `"${n}"`).join(', ')}. Names are matched exactly (case included).`,
      exitCode: ExitCode.usage,
    })
  }
  return names.map((name, i) => {
    const type = Object.hasOwn(declared, name) ? declared[name] : undefined
    return type !== undefined
      ? { name, type: checkDeclaredType(name, type), inferred: false }
      : { name, type: inferences[i]?.type(wholeSource) ?? 'text', inferred: true }
  })
}

/**
 * Streams up to `budget` data rows of one file into `onRecord` (its header too unless
 * `skipHeader`); returns how many data rows the parser produced (more than `budget` when the file
 * has more). A malformed record is skipped here: the load's COPY reports it with file and line.
 */
async function readSample(file: string, dialect: CsvDialect, budget: number, onRecord: (record: string[]) => void, skipHeader: boolean): Promise<number> {
  const { stream } = openCsvFile(file)
  const parser = createCsvParser(dialect, { to: budget + 2, onSkip: () => {} }) // header + budget + one to tell "more"
  pipeline(stream, parser, () => {}) // an error on either side destroys both; the loop below sees it
  let records = 0
  try {
    for await (const { record } of parser as AsyncIterable<CsvParsedRecord>) {
      records++
      if (records === 1 && skipHeader) continue
      if (records <= budget + 1) onRecord(record)
    }
  } catch (error) {
    if (error instanceof EltError) throw error
    const unreadable = explainFileError(error, file)
    if (unreadable) throw unreadable
    throw new EltError(`${file}: cannot read the CSV sample: ${error instanceof Error ? error.message : String(error)}.`, {
      hint: 'Check that the file is CSV with a header row, and its delimiter, quote and encoding (set them in the source config if detection is wrong).',
      cause: error,
    })
  } finally {
    parser.destroy()
    stream.destroy()
  }
  return Math.max(0, records - 1)
}
