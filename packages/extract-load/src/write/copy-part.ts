import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import copyStreams from 'pg-copy-streams'
import { CountingStream } from '../load/counting-stream.ts'
import type { TablePart } from '../sources/source-reader.ts'

export interface CopyPartResult {
  /** Rows the destination's `COPY … FROM` reported loading. */
  rowsIn: number
  bytes: number
}

/** Which end of a part's COPY failed first: only that end is still usable afterwards (for its `ROLLBACK`). */
export type FailedEnd = 'source' | 'destination' | 'both'

/**
 * Closes a client in the middle of a COPY without waiting for it: with a statement in flight
 * `end()` destroys the socket (a destination in COPY IN mode cannot run another statement, and
 * a `ROLLBACK` sent to it would wait forever). The server ends the backend and rolls back.
 */
export function discardClient(client: pg.Client): void {
  void client.end().catch(() => {})
}

/**
 * Streams one part of a table into `COPY … FROM STDIN` on `destination`: the reader's bytes
 * pass through a counter (progress) untouched, never parsed, never buffered beyond the
 * streams' high-water marks.
 *
 * When one end fails, the other end is closed at once, never awaited: a failed source stream
 * discards the destination client ({@link discardClient}); a failed destination cancels the
 * part (`part.cancel()`, the reader closes its end: a PostgreSQL source's connection in COPY OUT
 * mode) or destroys its stream. After an abort neither end is usable. `failed` says which end
 * failed first, so the caller rolls back only on the end that is still there.
 *
 * ```sql
 * -- source (the reader):  COPY "public"."films" ("film_id", "title", …) TO STDOUT (FORMAT binary)
 * -- destination:          COPY "raw"."elt_new_3f2a9c01d4" ("film_id", "title", …) FROM STDIN (FORMAT binary, FREEZE)
 * ```
 */
export async function copyPart(options: {
  part: TablePart
  destination: pg.Client
  copyInSql: string
  onProgress: (rows: number, bytes: number) => void
  onFailure: (end: FailedEnd) => void
  signal?: AbortSignal
}): Promise<CopyPartResult> {
  const { part, destination, signal } = options
  const counter = new CountingStream(part.format.kind === 'binary' ? 'binary' : 'text', options.onProgress)
  const into = destination.query(copyStreams.from(options.copyInSql))
  // Listeners that stay for the streams' lifetime: the first error decides which end to close
  // (synchronously, before `pipeline` destroys the streams and waits on them), and a late
  // 'Connection terminated' from a closed client finds a listener instead of crashing the process.
  let failed: FailedEnd | undefined
  const onError = (end: FailedEnd) => () => {
    if (failed !== undefined) return
    failed = signal?.aborted === true ? 'both' : end
    options.onFailure(failed)
    if (failed !== 'source') (part.cancel ?? (() => part.stream.destroy()))()
    if (failed !== 'destination') discardClient(destination)
  }
  part.stream.on('error', onError('source'))
  counter.on('error', onError('both'))
  into.on('error', onError('destination'))
  await pipeline(part.stream, counter, into, signal ? { signal } : {})
  return { rowsIn: into.rowCount, bytes: counter.bytes }
}
