import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import copyStreams from 'pg-copy-streams'
import { CountingStream } from './counting-stream.ts'

export interface CopyResult {
  rowsOut: number
  rowsIn: number
  bytes: number
  /** Rows the pass-through counter saw (progress only; equals `rowsOut` unless the framing walk is wrong). */
  rowsCounted: number
}

/**
 * Streams one table: `COPY … TO STDOUT` on the source client piped into `COPY … FROM STDIN`
 * on the destination client (two clients: one client doing both would deadlock). Bytes are
 * never parsed and never buffered beyond the streams' high-water marks.
 *
 * ```sql
 * -- source:      COPY "public"."films" ("film_id", "title", …) TO STDOUT (FORMAT binary)
 * -- destination: COPY "raw"."elt_new_3f2a9c01d4" ("film_id", "title", …) FROM STDIN (FORMAT binary, FREEZE)
 * ```
 */
export async function copyTable(options: {
  source: pg.ClientBase
  destination: pg.ClientBase
  copyOutSql: string
  copyInSql: string
  format: 'binary' | 'text'
  onProgress: (rows: number, bytes: number) => void
  signal?: AbortSignal
}): Promise<CopyResult> {
  const out = options.source.query(copyStreams.to(options.copyOutSql))
  const counter = new CountingStream(options.format, options.onProgress)
  const into = options.destination.query(copyStreams.from(options.copyInSql))
  await pipeline(out, counter, into, options.signal ? { signal: options.signal } : {})
  return { rowsOut: out.rowCount, rowsIn: into.rowCount, bytes: counter.bytes, rowsCounted: counter.rows }
}
