import type pg from 'pg'
import { EltError, connectClient, defaultRetryPolicy, describeError, isTransientPgError, negotiateClientConfig, passwordOf, redactSecrets, silentLogger, withRetry } from '@elt/core'
import { discardClient } from '../../write/copy-part.ts'
import { slotReleaseMs, waitForSlotRelease } from './cdc-slot.ts'
import { readCdcState } from './cdc-state.ts'
import type { ReplicateCdcOptions } from './replicate-cdc.ts'
import { connectionLostCause, defaultSilenceSeconds, streamChanges, type StreamedChanges, type StreamTotals } from './stream-changes.ts'

/** A stream that ran this long, or applied a transaction, before it was lost starts the retry budget over. */
const healthyMs = 60_000

/** Thrown out of `withRetry` when the lost stream had made progress: reconnect at once, with a fresh budget. */
class LostAfterProgress {
  constructor(readonly error: unknown) {}
}

/**
 * Streams the pipeline's changes (see `streamChanges`) from the applied LSN recorded in the
 * destination, on connections of its own. With `follow`, a lost source or destination connection
 * (walsender terminated, server restarted, network cut, a stalled stream) is logged with its cause
 * and the stream reconnects — each connection waiting up to `connectWaitSeconds` for its server,
 * then with the retry policy's backoff — and resumes from the applied LSN read again from the
 * destination: the transaction in flight was rolled back and not acknowledged, so it is applied
 * exactly once. The budget (`retry.maxRetries`) counts losses in a row; a stream that applied a
 * transaction or ran a minute starts it over. Without `follow` a lost connection fails the run.
 *
 * ```ts
 * await streamWithReconnect(options, { slot: 'elt_postgres', publication: 'elt_postgres', copied: [] })
 * ```
 */
export async function streamWithReconnect(
  options: ReplicateCdcOptions,
  pipeline: { slot: string; publication: string; copied: readonly string[]; fromLsn: string },
): Promise<StreamedChanges> {
  const logger = options.logger ?? silentLogger
  const policy = options.retry ?? defaultRetryPolicy
  const totals: StreamTotals & { appliedLsn: string } = { changes: 0, transactions: 0, counts: new Map(), appliedLsn: pipeline.fromLsn }
  const follow = options.follow === true
  let reconnecting = false
  const walsender: { pid?: number } = {}
  // after a loss the previous walsender may still hold the slot for a moment (55006): worth waiting for
  const retryable = (error: unknown) => follow && !options.signal?.aborted && (lostConnection(error) || (reconnecting && slotHeld(error)))
  const say = (error: unknown) => redactSecrets(describeError(error), [passwordOf(options.source.url), passwordOf(options.destination.url)])
  for (;;) {
    try {
      return await withRetry(
        async () => {
          const started = Date.now()
          const transactions = totals.transactions
          try {
            return await streamOnce(options, pipeline, totals, walsender)
          } catch (error) {
            if (retryable(error) && (totals.transactions > transactions || Date.now() - started > healthyMs)) throw new LostAfterProgress(error)
            throw error
          } finally {
            reconnecting = true
          }
        },
        policy,
        {
          isTransient: retryable,
          onRetry: (error, attempt, delayMs) =>
            logger.warn(`cdc ${options.sourceName}: ${say(error)} Reconnecting in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt} of ${policy.maxRetries}).`),
          ...(options.signal ? { signal: options.signal } : {}), // Ctrl-C while waiting: the next attempt returns what was applied
        },
      )
    } catch (error) {
      if (error instanceof LostAfterProgress) {
        logger.warn(`cdc ${options.sourceName}: ${say(error.error)} Reconnecting now.`)
        continue
      }
      if (!retryable(error)) throw error
      throw new EltError(`cdc ${options.sourceName}: gave up following slot "${pipeline.slot}" after ${policy.maxRetries} reconnects in a row failed. Last failure: ${say(error)}`, {
        hint: 'Check that the source and destination servers are up and reachable, then rerun pnpm elt replicate --follow: it resumes after the last applied transaction. ELT_MAX_RETRIES and ELT_RETRY_DELAY_SECONDS set the retry budget, ELT_CONNECT_TIMEOUT_SECONDS how long each connection waits for its server.',
        cause: error,
      })
    }
  }
}

/** One stream on fresh connections, from the applied LSN the destination holds now. */
async function streamOnce(
  options: ReplicateCdcOptions,
  pipeline: { slot: string; publication: string; copied: readonly string[]; fromLsn: string },
  totals: StreamTotals & { appliedLsn: string },
  walsender: { pid?: number },
): Promise<StreamedChanges> {
  // stopped (Ctrl-C) while waiting to reconnect: nothing is in flight
  if (options.signal?.aborted) return { appliedLsn: totals.appliedLsn, changes: totals.changes, transactions: totals.transactions, tables: Object.fromEntries(totals.counts) }
  const wait = { waitSeconds: options.connectWaitSeconds ?? 30, ...(options.logger ? { logger: options.logger } : {}) }
  const clients: pg.Client[] = []
  let failed = true
  try {
    const source = await connectClient(options.source, { ...wait, applicationName: 'elt-cdc' })
    clients.push(source)
    const destination = await connectClient(options.destination, { ...wait, applicationName: 'elt-cdc-apply' })
    clients.push(destination)
    const replication = await negotiateClientConfig(options.source, { ...wait, applicationName: 'elt-cdc-stream' })
    const state = await beforeStreaming(clients, options, async () => {
      // a reconnect ends the walsender of its lost stream; either way a walsender that is ending gets a moment to let go (a follower just stopped)
      if (walsender.pid !== undefined) await endOldWalsender(source, pipeline.slot, walsender.pid)
      await waitForSlotRelease(source, pipeline.slot, options.signal)
      return readCdcState(destination, options.sourceName)
    })
    if (!state) {
      throw new EltError(`cdc ${options.sourceName}: the pipeline's state is gone from the destination (_elt.cdc_pipelines): pnpm elt cdc drop ran meanwhile?`, {
        hint: 'Rerun pnpm elt replicate: it copies the cdc tables again with a new slot.',
      })
    }
    const streamed = await streamChanges({
      replication,
      source,
      destination,
      pipeline: options.sourceName,
      slot: pipeline.slot,
      publication: pipeline.publication,
      targetSchema: options.targetSchema,
      startLsn: state.appliedLsn,
      tables: { names: state.tables, copiedLsns: state.copiedLsns },
      totals,
      follow: options.follow ?? false,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.heartbeatSeconds !== undefined ? { heartbeatSeconds: options.heartbeatSeconds } : {}),
      ...(options.silenceSeconds !== undefined ? { silenceSeconds: options.silenceSeconds } : {}),
      onApplied: (progress) => {
        totals.appliedLsn = progress.appliedLsn
        options.onApplied?.(progress)
      },
      onStreaming: (pid) => (walsender.pid = pid),
      ...(options.runId ? { run: { runId: options.runId, fullCopy: pipeline.copied, fromLsn: pipeline.fromLsn } } : {}),
    })
    failed = false
    return streamed
  } finally {
    // after a failure the other side may be stalled: close without waiting for it
    for (const client of clients) failed ? discardClient(client) : await client.end().catch(() => {})
  }
}

/**
 * The queries before a stream starts, watched as the stream is: a network that stalls under them
 * (no reset, so no error; a stalled proxy even answers TCP keepalive) is noticed after the slot
 * wait and `silenceSeconds`, the connections are dropped, and the failure is a lost connection
 * (retried by `--follow`).
 */
async function beforeStreaming<T>(clients: readonly pg.Client[], options: ReplicateCdcOptions, queries: () => Promise<T>): Promise<T> {
  const seconds = slotReleaseMs / 1000 + (options.silenceSeconds ?? defaultSilenceSeconds)
  let stalled = false
  const watchdog = setTimeout(() => {
    stalled = true
    for (const client of clients) discardClient(client)
  }, seconds * 1000)
  try {
    return await queries()
  } catch (error) {
    if (!stalled) throw error
    throw new EltError(`No answer from the source or the destination for ${seconds} s while preparing the stream of cdc ${options.sourceName}.`, {
      hint: 'A server or the network stalled. Rerun: the stream resumes after the last applied transaction.',
      cause: connectionLostCause,
    })
  } finally {
    clearTimeout(watchdog)
  }
}

/**
 * Ends the walsender of our previous stream when it still holds the slot (a cut network: the
 * server notices only after `wal_sender_timeout`); the caller then waits for the slot to be free
 * (`waitForSlotRelease`). Only that pid: a slot held by another process is left alone (the stream
 * then says it is in use).
 *
 * ```sql
 * select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = $1 and active_pid = $2
 * ```
 */
async function endOldWalsender(source: pg.Client, slot: string, pid: number): Promise<void> {
  await source.query('select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = $1 and active_pid = $2', [slot, pid])
}

/** A dropped or stalled connection (the driver's error, or ours with it as the cause). */
function lostConnection(error: unknown): boolean {
  return isTransientPgError(error) || (error instanceof Error && error.cause !== undefined && isTransientPgError(error.cause))
}

/** The slot still held by a walsender (ours, before the server noticed the lost connection). */
function slotHeld(error: unknown): boolean {
  const code = (e: unknown) => (e as { code?: string } | undefined)?.code
  return code(error) === '55006' || (error instanceof Error && code(error.cause) === '55006')
}
