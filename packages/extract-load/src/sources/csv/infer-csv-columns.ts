import { pipeline } from 'node:stream'
import { EltError, ExitCode } from '@elt/core'
import { checkCsvHeader } from './check-csv-header.ts'
import { checkDeclaredType } from './check-declared-type.ts'
import { createCsvParser, type CsvParsedRecord } from './create-csv-parser.ts'
import type { CsvColumn, CsvDialect } from './csv-source-options.ts'
import { CsvTypeInference } from './infer-csv-type.ts'
import { openCsvFile } from './open-csv-file.ts'

/**
 * Reads a CSV file's header and its first `inferRows` data rows (streamed; the file is closed
 * after them) and returns its columns: names exactly as in the header, types declared in
 * `declared` or else inferred from the rows ({@link CsvTypeInference}; `smallint` only when the
 * rows read were the whole file).
 *
 * ```ts
 * await inferCsvColumns('data/a.csv', dialect, { declared: { zip: 'text' }, inferRows: 10000 })
 * // [{ name: 'id', type: 'smallint', inferred: true }, { name: 'zip', type: 'text', inferred: false }]
 * ```
 */
export async function inferCsvColumns(
  file: string,
  dialect: CsvDialect,
  options: { declared?: Record<string, string>; inferRows: number },
): Promise<CsvColumn[]> {
  const { stream } = openCsvFile(file)
  // A malformed record is skipped here: the load's COPY reports it with its file and line.
  const parser = createCsvParser(dialect, { to: options.inferRows + 1, onSkip: () => {} })
  pipeline(stream, parser, () => {}) // an error on either side destroys both; the loop below sees it
  let header: string[] | undefined
  let inferences: CsvTypeInference[] = []
  let records = 0
  try {
    for await (const { record } of parser as AsyncIterable<CsvParsedRecord>) {
      records++
      if (header === undefined) {
        header = record
        checkCsvHeader(header, file)
        inferences = header.map(() => new CsvTypeInference())
        continue
      }
      for (let i = 0; i < inferences.length; i++) inferences[i]?.add(record[i] ?? '')
    }
  } catch (error) {
    if (error instanceof EltError) throw error
    throw new EltError(`${file}: cannot read the CSV sample: ${error instanceof Error ? error.message : String(error)}.`, {
      hint: 'Check that the file is CSV with a header row, and its delimiter, quote and encoding (set them in the source config if detection is wrong).',
      cause: error,
    })
  } finally {
    parser.destroy()
    stream.destroy()
  }
  if (header === undefined) checkCsvHeader([], file)
  const names = header ?? []
  const wholeFile = records <= options.inferRows // the parser stopped at the file's end, not at `inferRows`
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
      : { name, type: inferences[i]?.type(wholeFile) ?? 'text', inferred: true }
  })
}
