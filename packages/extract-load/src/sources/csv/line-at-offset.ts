import { openCsvFile } from './open-csv-file.ts'

/**
 * The 1-based line of a byte offset in a CSV file's content (gunzipped, BOM dropped), by counting
 * line feeds before it. Reads the file up to there: for error messages only.
 *
 * ```ts
 * await lineAtOffset('data/a.csv', 0) // 1
 * ```
 */
export async function lineAtOffset(file: string, offset: number): Promise<number> {
  const { stream } = openCsvFile(file)
  let line = 1
  let seen = 0
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const part = chunk.subarray(0, Math.max(0, offset - seen))
      for (let i = part.indexOf(10); i !== -1; i = part.indexOf(10, i + 1)) line++
      seen += chunk.length
      if (seen >= offset) break
    }
  } finally {
    stream.destroy()
  }
  return line
}
