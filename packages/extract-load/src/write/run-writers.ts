import type pg from 'pg'
import { combinedFailure, defaultStallSeconds, describeError, endsTheRun, isTransientPgError, sessionOf, watchedEnds, watchedStep, withRetry, type DatabaseTarget, type LockWaitPolicy, type Logger, type RetryPolicy } from '@elt/core'
import { sourceName, targetName, type TableDef } from '../introspect/catalog.ts'
import type { ReplicationEvent } from '../replication-events.ts'
import type { ReaderSession, TableReader } from '../sources/source-reader.ts'
import { recordLoad } from '../state/load-state.ts'
import { discardClient } from './copy-part.ts'
import { fullStrategy, type TableStrategy } from './table-strategy.ts'
import { tableWriters, type StrategyWriteResult } from './table-writers.ts'
import { RetryTable } from './write-table.ts'

/** A table to write and the source session that reads it. */
export interface WriteJob {
  table: TableDef
  /** Index of its source in `sessions`. */
  source: number
  /** Its settings in `replicate.tables` (default `{ strategy: 'full' }`): which of `tableWriters` writes it. */
  strategy?: TableStrategy
}

export interface WriterPoolOptions {
  /** In the order to take them (largest first, across sources). */
  jobs: readonly WriteJob[]
  sessions: readonly { name: string; session: ReaderSession }[]
  workers: number
  /** Opens a fresh destination client with the session settings applied. */
  connect: () => Promise<pg.Client>
  /** The destination `connect` opens: the stall watch asks it about a load's session. */
  destination: DatabaseTarget
  /** See `LoadRunOptions.stallSeconds` (default 60). */
  stallSeconds?: number
  destinationMajor: number
  verify: boolean
  runId: string
  retry: RetryPolicy
  swapLockWait?: Partial<LockWaitPolicy>
  /** `--full-refresh`: every table copied whole, cursor marks started again. */
  fullRefresh?: boolean
  /** Records `running`/`error` rows in `_elt.table_loads` (the `done` row is written in the load's own transaction). */
  state: pg.ClientBase
  emit: (event: ReplicationEvent) => void
  logger: Logger
  signal?: AbortSignal
}

/** Per-table result, keyed by `<source index>:<schema.name>`. */
export const jobKey = (job: WriteJob): string => `${job.source}:${sourceName(job.table)}`

/**
 * Writes the tables with `workers` workers, each with its own destination client and, per source,
 * its own table reader (`session.worker()`: a PostgreSQL source's connection on the snapshot),
 * each table by the writer of its strategy (`tableWriters`: `full` swaps, cursor strategies merge).
 * A load that moves no data while both its sessions wait on this process (a connection that stopped
 * passing data without closing) is given up (see `watchForStall`) and retried like a lost connection.
 * A transient failure (connection lost, backend terminated) reconnects and retries the table with
 * backoff; a reader's `RetryTable` (a CSV column widened) loads it again at once. A table that still
 * fails (its data or its shape: a malformed row, a change a merge cannot follow, a SQL error) does
 * not hold back the others: every table is tried, and the failures are returned with the results
 * of the others (`failure`, see `combinedFailure`; each table's own error in `failed`). A server or
 * network failure, bad usage or an abort (see `endsTheRun`) stops the workers from taking new
 * tables instead, once the running tables finish (`stopped`). An abort closes every connection at once.
 */
export async function runWriters(
  options: WriterPoolOptions,
): Promise<{ results: Map<string, StrategyWriteResult>; failed: Map<string, unknown>; failure?: unknown; stopped: boolean }> {
  const queue = [...options.jobs]
  const results = new Map<string, StrategyWriteResult>()
  const failed = new Map<string, unknown>()
  const failures: unknown[] = []
  let stopped = false
  const openClients = new Set<pg.Client>()
  const openReaders = new Set<TableReader>()
  const onAbort = () => {
    for (const client of openClients) discardClient(client)
    for (const reader of openReaders) void reader.close().catch(() => {})
  }
  options.signal?.addEventListener('abort', onAbort, { once: true })

  const worker = async (id: number): Promise<void> => {
    let destination: pg.Client | undefined
    const readers = new Map<number, TableReader>()
    const dropDestination = async () => {
      if (!destination) return
      openClients.delete(destination)
      await destination.end().catch(() => {})
      destination = undefined
    }
    const dropReader = async (source: number) => {
      const reader = readers.get(source)
      if (!reader) return
      readers.delete(source)
      openReaders.delete(reader)
      await reader.close().catch(() => {})
    }
    const readerFor = async (source: number) => {
      let reader = readers.get(source)
      if (!reader) {
        reader = await options.sessions[source]!.session.worker()
        readers.set(source, reader)
        openReaders.add(reader)
      }
      return reader
    }
    try {
      for (let job = queue.shift(); job !== undefined && !stopped; job = queue.shift()) {
        if (options.signal?.aborted) {
          failures.push(options.signal.reason)
          stopped = true
          break
        }
        const { source } = job
        const name = options.sessions[source]!.name
        let table = job.table
        const names = { source: sourceName(table), target: targetName(table) }
        const strategy = job.strategy ?? fullStrategy
        try {
          await recordLoad(options.state, { runId: options.runId, sourceName: name, sourceTable: names.source, targetTable: names.target, status: 'running', worker: id, strategy: strategy.strategy })
          let result: StrategyWriteResult | undefined
          while (result === undefined) {
            try {
              result = await withRetry(
                async (attempt) => {
                  if (options.signal?.aborted) throw options.signal.reason // stopped while waiting to retry
                  const reader = await readerFor(source)
                  if (destination === undefined) {
                    destination = await options.connect()
                    openClients.add(destination)
                  }
                  const d = destination
                  const started = performance.now()
                  let destinationClosed = false
                  let readerCancelled = false
                  const ends = watchedEnds({ source: [reader.backend?.()], destination: [sessionOf(d, options.destination)] })
                  const watch = {
                    what: `loading ${names.source} into ${names.target}`,
                    ends,
                    partial: ends.length < 2, // a file source: only a lost destination session counts
                    seconds: options.stallSeconds ?? defaultStallSeconds,
                    onStall: () => {
                      discardClient(d) // what waits on either connection fails: the error below is the watch's
                      void reader.close().catch(() => {})
                    },
                  }
                  try {
                    return await watchedStep(watch, (watching) => tableWriters[strategy.strategy]({
                      strategy,
                      fullRefresh: options.fullRefresh === true,
                      table,
                      reader,
                      sourceName: name,
                      destination: d,
                      preferred: 'binary',
                      destinationMajor: options.destinationMajor,
                      verify: options.verify,
                      runId: options.runId,
                      worker: id,
                      attempt: attempt + 1,
                      signal: options.signal,
                      swapLockWait: options.swapLockWait,
                      onPart: (part, index) => {
                        if (index === 0) {
                          options.emit({ type: 'table-started', ...names, worker: id, attempt: attempt + 1, estimatedBytes: table.estimatedBytes, format: part.format.kind })
                        }
                      },
                      onFailure: (end) => {
                        watching.stop()
                        if (end !== 'destination') destinationClosed = true
                        if (end !== 'source') readerCancelled = true
                      },
                      onProgress: (rows, bytes) => options.emit({ type: 'table-progress', ...names, rows, bytes, seconds: (performance.now() - started) / 1000 }),
                    }))
                  } catch (error) {
                    if (isTransientPgError(error)) await Promise.all([dropDestination(), dropReader(source)])
                    else {
                      if (destinationClosed) await dropDestination()
                      if (readerCancelled) await dropReader(source)
                    }
                    throw error
                  }
                },
                options.retry,
                {
                  ...(options.signal ? { signal: options.signal } : {}),
                  isTransient: (error) => options.signal?.aborted !== true && isTransientPgError(error),
                  onRetry: (error, attempt, delayMs) => {
                    options.logger.warn(`${names.source}: ${describeError(error)} — retrying (attempt ${attempt + 1}) in ${(delayMs / 1000).toFixed(1)} s`)
                    options.emit({ type: 'table-retried', ...names, attempt, delaySeconds: delayMs / 1000, reason: describeError(error) })
                  },
                },
              )
            } catch (error) {
              if (!(error instanceof RetryTable)) throw error
              options.logger.info(`${names.source}: ${error.change} — loading it again`)
              table = error.table
            }
          }
          results.set(jobKey(job), result)
          options.emit({ type: 'table-finished', ...names, rows: result.rows, bytes: result.bytes, seconds: result.seconds })
        } catch (error) {
          const final = options.signal?.aborted ? options.signal.reason : error
          if (!stopped) failures.push(final)
          failed.set(jobKey(job), final)
          if (options.signal?.aborted || endsTheRun(final)) stopped = true
          options.emit({ type: 'table-failed', ...names, reason: final instanceof Error ? final.message : String(final) })
          await recordLoad(options.state, {
            runId: options.runId,
            sourceName: name,
            sourceTable: names.source,
            targetTable: names.target,
            status: 'error',
            worker: id,
            strategy: strategy.strategy,
            message: describeError(final),
          }).catch(() => {})
        }
      }
    } finally {
      await Promise.all([dropDestination(), ...[...readers.keys()].map(dropReader)])
    }
  }

  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.workers, options.jobs.length)) }, (_, i) => worker(i + 1)))
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
  }
  return failures.length > 0 ? { results, failed, failure: combinedFailure(failures, 'tables failed (the others were loaded)'), stopped } : { results, failed, stopped }
}
