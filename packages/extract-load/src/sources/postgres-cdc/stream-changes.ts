import type pg from 'pg'
import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication'
import { EltError, connectionFailureOf, isTransientPgError } from '@elt/core'
import { ChangeApplier, type Counts } from './change-applier.ts'
import { lsnText, lsnValue } from './cdc-names.ts'

/** Seconds without anything from the source (not even a keepalive) after which a stream is given up as stalled. */
export const defaultSilenceSeconds = 120

/** The prefix of the messages `pg_logical_emit_message` writes for this pipeline (heartbeats, the stop mark). */
export const heartbeatPrefix = 'elt_heartbeat'

/** What `--follow` shows live and the benchmark measures: after each applied source transaction. */
export interface CdcProgress {
  appliedLsn: string
  /** Seconds between the source's commit and the destination's. */
  lagSeconds: number
  /** Changes in this transaction; `total` since the start. */
  changes: number
  total: number
  transactions: number
}

export interface StreamChangesOptions {
  /** The source's connection settings (a replication connection is opened with them). */
  replication: pg.ClientConfig
  /** A normal source connection: heartbeats, column types of added columns. */
  source: pg.ClientBase
  destination: pg.ClientBase
  pipeline: string
  slot: string
  publication: string
  targetSchema: string
  startLsn: string
  /** Keep streaming until `signal` aborts; else stop at the source's WAL position read at the start. */
  follow: boolean
  signal?: AbortSignal
  /** A heartbeat message when no change arrived for this long (default 10 s). */
  heartbeatSeconds?: number
  /**
   * Nothing at all from the source (no change, no keepalive, none of our heartbeats) for this long
   * fails the run (default 120 s): a source that stalls behind a dead network never hangs it.
   */
  silenceSeconds?: number
  onApplied?: (progress: CdcProgress) => void
  /** Record each changed table's LSN window under this run id (`_elt.table_changes`); `fullCopy`: the tables this run copied. */
  run?: { runId: string; fullCopy: boolean | readonly string[]; fromLsn?: string }
  /** The pipeline's tables and the LSN each one's copy was taken at (see `ChangeApplier`). */
  tables?: { names: readonly string[]; copiedLsns: Readonly<Record<string, string | null>> }
  /** Called once the stream runs, with the pid of the walsender serving it (a reconnect after a cut network ends it: it may not have noticed yet). */
  onStreaming?: (walsenderPid: number) => void
  /** What earlier streams of this run applied (a `--follow` that reconnected): added to, in place. */
  totals?: StreamTotals
}

/** Changes, transactions and per-table counts applied (committed in the destination) so far. */
export interface StreamTotals {
  changes: number
  transactions: number
  counts: Map<string, Counts>
}

/** Keeps text values as PostgreSQL sent them (its own type parsers would round timestamps to milliseconds). */
class TextPgoutputPlugin extends PgoutputPlugin {
  override parse(buffer: Buffer): Pgoutput.Message {
    const message = super.parse(buffer)
    if (message.tag === 'relation') for (const column of message.columns) column.parser = (raw: unknown) => raw
    return message
  }
}

export interface StreamedChanges {
  appliedLsn: string
  changes: number
  transactions: number
  /** Per source table (`public.accounts`): rows inserted, updated, deleted; TRUNCATEs applied. */
  tables: Record<string, { inserted: number; updated: number; deleted: number; truncated: number }>
}

/**
 * Streams the slot's changes from `startLsn` and applies them (see {@link ChangeApplier}). The
 * slot's confirmed position moves only after the destination committed (`acknowledge` after each
 * applied transaction), so a crash re-sends exactly the transactions not yet committed there.
 * While the published tables are quiet, a heartbeat (`pg_logical_emit_message`) comes back through
 * the stream and is acknowledged: the slot follows the WAL instead of pinning it. Without `follow`
 * the run ends at a stop mark written at the start; with it, when `signal` aborts, after the
 * transaction in flight.
 *
 * ```sql
 * START_REPLICATION SLOT "elt_postgres" LOGICAL 0/1A2B3C4 (proto_version '1', publication_names 'elt_postgres', messages 'true')
 * select pg_logical_emit_message(false, 'elt_heartbeat', '')
 * ```
 */
export async function streamChanges(options: StreamChangesOptions): Promise<StreamedChanges> {
  const totals = options.totals ?? { changes: 0, transactions: 0, counts: new Map() }
  const applier = new ChangeApplier({
    destination: options.destination,
    source: options.source,
    pipeline: options.pipeline,
    targetSchema: options.targetSchema,
    ...(options.run ? { run: { ...options.run, fromLsn: options.run.fromLsn ?? options.startLsn } } : {}),
    ...(options.tables ? { tables: options.tables } : {}),
    counts: totals.counts,
  })
  const service = new LogicalReplicationService(options.replication, { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } })
  const plugin = new TextPgoutputPlugin({ protoVersion: 1, publicationNames: [options.publication], messages: true })
  let applied = options.startLsn
  let lastData = Date.now()
  let lastReceived = Date.now()
  let stopping = false
  let done = false
  // The library confirms `lsn + 1`; PostgreSQL's own subscriber confirms a commit's end LSN itself.
  const confirm = (lsn: string) => service.acknowledge(lsnText(lsnValue(lsn) - 1n))
  const emit = async (content: string) => {
    const { rows } = await options.source.query<{ lsn: string }>('select pg_logical_emit_message(false, $1, $2)::text as lsn', [heartbeatPrefix, content])
    return rows[0]?.lsn as string
  }

  let settle!: { resolve: () => void; reject: (error: unknown) => void }
  const finished = new Promise<void>((resolve, reject) => (settle = { resolve, reject }))
  const finish = async (error?: unknown) => {
    if (done) return
    done = true
    clearInterval(timer)
    options.signal?.removeEventListener('abort', onAbort)
    await applier.abort()
    // never awaited after a failure: a stalled source would keep the end of the connection waiting
    if (error === undefined) await service.destroy().catch(() => {})
    else void service.destroy().catch(() => {})
    if (error === undefined) settle.resolve()
    else settle.reject(error)
  }
  const onAbort = () => {
    stopping = true
    if (!applier.inTransaction) void finish()
  }
  const heartbeatMs = (options.heartbeatSeconds ?? 10) * 1000
  const silenceMs = (options.silenceSeconds ?? defaultSilenceSeconds) * 1000
  const timer = setInterval(() => {
    if (done) return
    if (Date.now() - lastReceived > silenceMs) {
      void finish(new EltError(`Nothing came from the source on the replication stream of slot "${options.slot}" for ${silenceMs / 1000} s (not even a keepalive).`, {
        hint: 'The source or the network stalled. Rerun: the stream resumes after the last applied transaction.',
        cause: connectionLostCause,
      }))
      return
    }
    if (Date.now() - lastData < heartbeatMs) return
    lastData = Date.now()
    emit('').catch((error: unknown) => void finish(connectionLost('source', options.slot, error)))
  }, Math.min(1000, heartbeatMs))

  service.on('data', async (_lsn: string, message: Pgoutput.Message) => {
    if (done) return
    lastData = Date.now()
    lastReceived = lastData
    try {
      if (message.tag === 'message' && !message.transactional && message.prefix === heartbeatPrefix && message.messageLsn !== null) {
        if (applier.inTransaction) return
        const at = lsnValue(message.messageLsn)
        if (at > lsnValue(applied)) applied = lsnText(at)
        await confirm(applied)
        if (!options.follow && stopAt !== undefined && at >= lsnValue(stopAt)) await finish()
        return
      }
      const committed = await applier.handle(message)
      if (committed) {
        applied = committed.lsn
        totals.changes += committed.changes
        totals.transactions++
        await confirm(applied)
        options.onApplied?.({ appliedLsn: applied, lagSeconds: Math.max(0, (Date.now() - committed.commitAt.getTime()) / 1000), changes: committed.changes, total: totals.changes, transactions: totals.transactions })
        if (stopping) await finish()
      }
    } catch (error) {
      await finish(connectionLost('destination', options.slot, connectionFailureOf(options.destination, error)))
    }
  })
  service.on('heartbeat', (_lsn: string, _timestamp: number, shouldRespond: boolean) => {
    lastReceived = Date.now()
    if (shouldRespond && !done) void confirm(applied)
  })
  service.on('start', () => {
    if (!options.onStreaming) return
    options.source
      .query<{ pid: number | null }>('select active_pid as pid from pg_replication_slots where slot_name = $1', [options.slot])
      .then(({ rows }) => rows[0]?.pid && options.onStreaming?.(rows[0].pid))
      .catch(() => {})
  })
  service.on('error', (error: unknown) => void finish(connectionLost('source', options.slot, error)))

  let stopAt: string | undefined
  options.signal?.addEventListener('abort', onAbort)
  if (options.signal?.aborted) onAbort()
  try {
    if (!options.follow) stopAt = await emit('stop').catch((error: unknown) => Promise.reject(connectionLost('source', options.slot, error)))
    service
      .subscribe(plugin, options.slot, options.startLsn)
      .then(() => {
        if (!done) void finish(new EltError(`The source ended the replication stream of slot "${options.slot}".`, { hint: 'Rerun: the stream resumes after the last applied transaction.', cause: connectionLostCause }))
      })
      .catch((error: unknown) => void finish(connectionLost('source', options.slot, slotInUse(error, options.slot))))
  } catch (error) {
    await finish(error)
  }
  await finished
  return { appliedLsn: applied, changes: totals.changes, transactions: totals.transactions, tables: Object.fromEntries(totals.counts) }
}

/** PostgreSQL's `replication slot "…" is active for PID …` (55006) said for people; other errors as they are. */
function slotInUse(error: unknown, slot: string): unknown {
  if ((error as { code?: string } | undefined)?.code !== '55006') return error
  return new EltError(`The replication slot "${slot}" is in use by another process: a pnpm elt replicate --follow (or a scheduled replicate) is streaming from it.`, {
    hint: 'One pipeline streams at a time: wait for it, or stop the --follow (pnpm elt cdc status shows whether the slot is active).',
    cause: error,
  })
}

/** The cause of a stream that ended or stalled without a driver error: a lost connection (SQLSTATE 08006) all the same. */
export const connectionLostCause = Object.assign(new Error('replication connection lost'), { code: '08006' })

/**
 * A dropped connection said for people, naming the side that failed (the driver's error as its
 * cause, so `isTransientPgError(error.cause)` still tells a lost connection); other errors as they are.
 */
function connectionLost(side: 'source' | 'destination', slot: string, error: unknown): unknown {
  if (error instanceof EltError || !isTransientPgError(error)) return error
  const what = side === 'source' ? 'the source (replication stream or heartbeat connection)' : 'the destination (applying changes)'
  return new EltError(`The connection to ${what} was lost while streaming slot "${slot}": ${error instanceof Error ? error.message : String(error)}.`, {
    hint: 'Nothing after the last committed transaction was acknowledged: a rerun (or --follow, which reconnects) applies it exactly once.',
    cause: error,
  })
}
