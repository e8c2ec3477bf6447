import type { OpenLineageRunEvent } from './openlineage-events.ts'

export interface PostOpenLineageOptions {
  /** Per event: the request is aborted after this long (default 5000 ms). */
  timeoutMs?: number
  /** Aborts the remaining requests (the run was cancelled). */
  signal?: AbortSignal
}

export interface PostOpenLineageResult {
  sent: number
  failed: number
  /** The first failure, for a warning: `HTTP 503`, `timed out after 5000 ms`, `connect ECONNREFUSED …`. */
  error?: string
}

/**
 * POSTs each event as JSON to an OpenLineage endpoint (Marquez: `http://host:5000/api/v1/lineage`),
 * one request at a time, each with a timeout; after a timeout or a connection error the rest are
 * not sent (counted as failed). Never throws: lineage is a side channel, a dead,
 * stalled or refusing collector must not fail the run; the caller logs `error` as a warning.
 *
 * ```ts
 * await postOpenLineageEvents('http://marquez:5000/api/v1/lineage', events, { timeoutMs: 5000 })
 * // { sent: 12, failed: 0 }
 * ```
 */
export async function postOpenLineageEvents(url: string, events: readonly OpenLineageRunEvent[], options: PostOpenLineageOptions = {}): Promise<PostOpenLineageResult> {
  const timeoutMs = options.timeoutMs ?? 5000
  const result: PostOpenLineageResult = { sent: 0, failed: 0 }
  for (const event of events) {
    if (options.signal?.aborted) {
      result.failed += 1
      result.error ??= 'cancelled'
      continue
    }
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event), signal })
      // drain or drop the body so the connection is released
      await response.body?.cancel().catch(() => {})
      if (response.ok) result.sent += 1
      else {
        result.failed += 1
        result.error ??= `HTTP ${response.status}`
      }
    } catch (error) {
      // dead or stalled: the remaining events would wait as long each, so they are not sent
      result.failed = events.length - result.sent
      result.error ??= timeout.aborted ? `timed out after ${timeoutMs} ms` : error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)
      break
    }
  }
  return result
}
