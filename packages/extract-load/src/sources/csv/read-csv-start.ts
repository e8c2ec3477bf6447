import { explainFileError } from './explain-file-error.ts'
import { openCsvFile } from './open-csv-file.ts'

/**
 * The first `bytes` bytes of a CSV file's content (gunzipped, BOM dropped), or all of it when
 * shorter; the file is closed right after. Dialect detection reads this.
 *
 * ```ts
 * const sample = await readCsvStart('data/a.csv.gz', 64 * 1024)
 * ```
 */
export async function readCsvStart(file: string, bytes: number): Promise<Buffer> {
  const { stream } = openCsvFile(file)
  const chunks: Buffer[] = []
  let length = 0
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk)
      length += chunk.length
      if (length >= bytes) break
    }
  } catch (error) {
    throw explainFileError(error, file) ?? error
  } finally {
    stream.destroy()
  }
  return Buffer.concat(chunks).subarray(0, bytes)
}
