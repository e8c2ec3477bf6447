import type pg from 'pg'
import { EltError, classifyPgError, describeError, isTransientPgError, qualifiedName, withRetry, type LockWaitPolicy, type Logger, type RetryPolicy } from '@elt/core'
import { connectPair } from '../connect-pair.ts'
import { sourceName, targetName, type TableDef } from '../introspect/catalog.ts'
import type { ReplicationEvent } from '../replication-events.ts'
import { recordLoad } from '../state/load-state.ts'
import { loadTable, type LoadTableResult } from './load-table.ts'

export interface WorkerOptions {
  /** Tables in the order to take them (largest first). */
  tables: readonly TableDef[]
  jobs: number
  snapshotId: string
  /** Opens a fresh source or destination client with the session settings applied. */
  connect: (side: 'source' | 'destination') => Promise<pg.Client>
  formatOf: (table: TableDef) => 'binary' | 'text'
  verify: boolean
  runId: string
  retry: RetryPolicy
  swapLockWait?: Partial<LockWaitPolicy>
  /** Records `running`/`error` rows in `_elt.table_loads` (the `done` row is written in the load's own transaction). */
  state: pg.ClientBase
  emit: (event: ReplicationEvent) => void
  logger: Logger
  signal?: AbortSignal
}

async function closeQuietly(client: pg.Client | undefined): Promise<void> {
  await client?.end().catch(() => {})
}

/** A table that vanished from the source after the snapshot was taken, or a snapshot that is gone, explained for people. */
async function explainError(table: TableDef, client: pg.ClientBase | undefined, error: unknown): Promise<unknown> {
  if (error instanceof Error && /invalid snapshot identifier/i.test(error.message)) {
    return new EltError(`The source connection holding the replication's snapshot was lost, so ${sourceName(table)} could not be read as of the same instant.`, {
      hint: 'Rerun: tables that finished are kept and not copied again.',
      cause: error,
    })
  }
  if (classifyPgError(error) !== 'undefined-table' || client === undefined) return error
  const { rows } = await client.query<{ oid: string | null }>('select to_regclass($1)::text as oid', [qualifiedName(table.schema, table.name)]).catch(() => ({ rows: [{ oid: 'unknown' }] }))
  if (rows[0]?.oid !== null) return error
  return new EltError(`The source table ${sourceName(table)} was dropped while the replication was running, so it could not be copied.`, {
    hint: `The previous copy of ${targetName(table)} (if any) was kept. Rerun to replicate the tables that exist now, or exclude the table in elt.config.ts.`,
    cause: error,
  })
}

/**
 * Copies the tables with `jobs` workers, each with its own source and destination client.
 * A transient failure (connection lost, backend terminated) reconnects and retries the table
 * with backoff; any other failure stops workers from taking new tables, and the first error is thrown
 * after the running tables finish.
 */
export async function runWorkers(options: WorkerOptions): Promise<Map<string, LoadTableResult>> {
  const queue = [...options.tables]
  const results = new Map<string, LoadTableResult>()
  let failure: { error: unknown } | undefined
  const open = new Set<pg.Client>()
  const onAbort = () => {
    for (const client of open) void closeQuietly(client)
  }
  options.signal?.addEventListener('abort', onAbort, { once: true })

  const worker = async (id: number): Promise<void> => {
    let clients: { source: pg.Client; destination: pg.Client } | undefined
    const reset = async () => {
      for (const c of [clients?.source, clients?.destination]) if (c) open.delete(c)
      await Promise.all([closeQuietly(clients?.source), closeQuietly(clients?.destination)])
      clients = undefined
    }
    try {
      for (let table = queue.shift(); table !== undefined && failure === undefined; table = queue.shift()) {
        if (options.signal?.aborted) {
          failure ??= { error: options.signal.reason }
          break
        }
        const t = table
        const names = { source: sourceName(t), target: targetName(t) }
        const format = options.formatOf(t)
        try {
          await recordLoad(options.state, { runId: options.runId, sourceTable: names.source, targetTable: names.target, status: 'running', worker: id })
          const result = await withRetry(
            async (attempt) => {
              if (options.signal?.aborted) throw options.signal.reason // stopped while waiting to retry
              if (clients === undefined) {
                const [source, destination] = await connectPair([() => options.connect('source'), () => options.connect('destination')])
                clients = { source, destination }
                open.add(source).add(destination)
              }
              const c = clients
              options.emit({ type: 'table-started', ...names, worker: id, attempt: attempt + 1, estimatedBytes: t.estimatedBytes, format })
              const started = performance.now()
              try {
                return await loadTable({
                  table: t,
                  source: c.source,
                  destination: c.destination,
                  snapshotId: options.snapshotId,
                  format,
                  verify: options.verify,
                  runId: options.runId,
                  worker: id,
                  attempt: attempt + 1,
                  signal: options.signal,
                  swapLockWait: options.swapLockWait,
                  onProgress: (rows, bytes) =>
                    options.emit({ type: 'table-progress', ...names, rows, bytes, seconds: (performance.now() - started) / 1000 }),
                })
              } catch (error) {
                if (isTransientPgError(error)) await reset()
                throw error
              }
            },
            options.retry,
            {
              isTransient: (error) => options.signal?.aborted !== true && isTransientPgError(error),
              onRetry: (error, attempt, delayMs) => {
                options.logger.warn(`${names.source}: ${describeError(error)} — retrying (attempt ${attempt + 1}) in ${(delayMs / 1000).toFixed(1)} s`)
                options.emit({ type: 'table-retried', ...names, attempt, delaySeconds: delayMs / 1000, reason: describeError(error) })
              },
            },
          )
          results.set(names.source, result)
          options.emit({ type: 'table-finished', ...names, ...result })
        } catch (error) {
          const final = options.signal?.aborted ? options.signal.reason : await explainError(t, clients?.source, error)
          failure ??= { error: final }
          await recordLoad(options.state, {
            runId: options.runId,
            sourceTable: names.source,
            targetTable: names.target,
            status: 'error',
            worker: id,
            message: describeError(final),
          }).catch(() => {})
        }
      }
    } finally {
      await reset()
    }
  }

  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs, options.tables.length)) }, (_, i) => worker(i + 1)))
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
  }
  if (failure) throw failure.error
  return results
}
