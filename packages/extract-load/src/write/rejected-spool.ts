import { createReadStream } from 'node:fs'
import { appendFile, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { maxRejectedRawChars } from '../sources/csv/rejected-rows.ts'
import type { RejectedRow } from '../sources/source-reader.ts'

/** Rows kept in memory before they go to the spool file. */
const memoryRows = 1000

/**
 * Holds the rows a reader rejects while its part streams into COPY (the destination connection
 * takes no other statement until the COPY ends), so the writer records them afterwards in the
 * same transaction. Memory stays flat: past {@link memoryRows} rows they are appended to a
 * temporary file (JSON lines), read back by `drain`, and the file is removed.
 *
 * ```ts
 * const spool = new RejectedSpool()
 * await spool.add({ location: 'a.csv', line: 3, raw: '2,abc', reason: '…' })   // during the COPY
 * for await (const row of spool.drain()) await writer.add(row)                    // after it
 * ```
 */
export class RejectedSpool {
  private rows: RejectedRow[] = []
  private file: string | undefined

  async add(row: RejectedRow): Promise<void> {
    this.rows.push(row.raw.length > maxRejectedRawChars ? { ...row, raw: `${row.raw.slice(0, maxRejectedRawChars)}…` } : row)
    if (this.rows.length < memoryRows) return
    this.file ??= path.join(await mkdtemp(path.join(os.tmpdir(), 'elt-rejected-')), 'rows.jsonl')
    const lines = this.rows.map((r) => JSON.stringify(r)).join('\n') + '\n'
    this.rows = []
    await appendFile(this.file, lines)
  }

  /** Every row added so far, in order; the spool is empty afterwards. */
  async *drain(): AsyncGenerator<RejectedRow> {
    const file = this.file
    this.file = undefined
    if (file) {
      try {
        const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity })
        for await (const line of lines) if (line !== '') yield JSON.parse(line) as RejectedRow
      } finally {
        await rm(path.dirname(file), { recursive: true, force: true })
      }
    }
    const rows = this.rows
    this.rows = []
    yield* rows
  }

  /** Removes the spool file of an attempt that failed. */
  async discard(): Promise<void> {
    this.rows = []
    if (this.file) await rm(path.dirname(this.file), { recursive: true, force: true })
    this.file = undefined
  }
}
