import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import copyStreams from 'pg-copy-streams'
import { CountingStream } from './counting-stream.ts'

export interface CopyResult {
  /** Rows the source's `COPY … TO` reported sending. */
  rowsOut: number
  /** Rows the destination's `COPY … FROM` reported loading. */
  rowsIn: number
  bytes: number
  /** Rows the pass-through counter saw (progress only; equals `rowsOut` unless the framing walk is wrong). */
  rowsCounted: number
}

/**
 * Closes a client in the middle of a COPY without waiting for it: with a statement in flight
 * `end()` destroys the socket (a source in COPY OUT mode, or a destination in COPY IN mode,
 * cannot run another statement, and a `ROLLBACK` sent to it would wait forever). The server
 * ends the backend and rolls its transaction back.
 */
function discard(client: pg.Client): void {
  void client.end().catch(() => {})
}

/**
 * Streams one table: `COPY … TO STDOUT` on the source client piped into `COPY … FROM STDIN`
 * on the destination client (two clients: one client doing both would deadlock). Bytes are
 * never parsed and never buffered beyond the streams' high-water marks.
 *
 * When one end fails, the other end is closed at once, not awaited (see {@link discard}):
 * after a failure only the end that reported the error is still usable (for its `ROLLBACK`),
 * and after an abort neither is.
 *
 * ```sql
 * -- source:      COPY "public"."films" ("film_id", "title", …) TO STDOUT (FORMAT binary)
 * -- destination: COPY "raw"."elt_new_3f2a9c01d4" ("film_id", "title", …) FROM STDIN (FORMAT binary, FREEZE)
 * ```
 */
export async function copyTable(options: {
  source: pg.Client
  destination: pg.Client
  copyOutSql: string
  copyInSql: string
  format: 'binary' | 'text'
  onProgress: (rows: number, bytes: number) => void
  signal?: AbortSignal
}): Promise<CopyResult> {
  const { source, destination, signal } = options
  const out = source.query(copyStreams.to(options.copyOutSql))
  const counter = new CountingStream(options.format, options.onProgress)
  const into = destination.query(copyStreams.from(options.copyInSql))
  // Listeners that stay for the streams' lifetime: the first error decides which end to close
  // (synchronously, before `pipeline` destroys the streams and waits on them), and a late
  // 'Connection terminated' from a closed client finds a listener instead of crashing the process.
  let failed: 'source' | 'destination' | 'both' | undefined
  const onError = (end: 'source' | 'destination' | 'both') => () => {
    if (failed !== undefined) return
    failed = signal?.aborted === true ? 'both' : end
    if (failed !== 'source') discard(source)
    if (failed !== 'destination') discard(destination)
  }
  out.on('error', onError('source'))
  counter.on('error', onError('both'))
  into.on('error', onError('destination'))
  await pipeline(out, counter, into, signal ? { signal } : {})
  return { rowsOut: out.rowCount, rowsIn: into.rowCount, bytes: counter.bytes, rowsCounted: counter.rows }
}
