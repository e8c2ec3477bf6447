import type pg from 'pg'
import { connectClient, defaultStallSeconds, negotiateClientConfig, sessionOf, silentLogger, watchedEnds, watchForStall, type DatabaseTarget, type Logger, type RetryPolicy } from '@elt/core'
import { discardClient } from '../../write/copy-part.ts'
import type { LoadSourcesSummary } from '../../write/load-sources-options.ts'
import { cdcNames } from './cdc-names.ts'
import { cdcSlotStatus } from './cdc-status.ts'
import { slotExists } from './cdc-slot.ts'
import { migrateCdcState, readCdcState, type CdcPipelineState } from './cdc-state.ts'
import { checkCdcSource, splitTableName } from './check-cdc-source.ts'
import { copyTablesAlone, initialCopyWithSlot, type Elsewhere } from './copy-cdc-tables.ts'
import type { CdcProgress, StreamedChanges } from './stream-changes.ts'
import { streamWithReconnect } from './stream-with-reconnect.ts'

export interface ReplicateCdcOptions {
  /** The postgres source's name in the config: the pipeline (`elt_<name>` slot and publication). */
  sourceName: string
  source: DatabaseTarget
  destination: DatabaseTarget
  /** The source's cdc tables (`public.accounts`). */
  tables: readonly string[]
  /**
   * `--full-refresh`: tables of `tables` to copy again (alone, with a temporary slot's snapshot,
   * while the pipeline's slot goes on for the others; see `copyTablesAlone`).
   */
  refresh?: readonly string[]
  targetSchema: string
  /** Keep streaming until `signal` aborts (`--follow`, reconnecting when a connection is lost); else stop at the WAL position of the start. */
  follow?: boolean
  signal?: AbortSignal
  jobs?: number
  retry?: RetryPolicy
  connectWaitSeconds?: number
  logger?: Logger
  heartbeatSeconds?: number
  /** Fail when nothing comes from the source for this long (default 120 s). */
  silenceSeconds?: number
  /** Seconds the preparation's sessions (and the copies') may go without a byte before they are looked at (default 60; see `watchForStall`). */
  stallSeconds?: number
  /** Warn when the slot retains more WAL than this (`cdc.warnRetainedWalBytes`). */
  warnRetainedWalBytes?: number
  onApplied?: (progress: CdcProgress) => void
  /**
   * The command's run id: each changed table's LSN window in `_elt.table_changes` (with `full_copy`
   * after an initial copy). The initial copy records its own `_elt.replications` run: the command's
   * copy path already holds one for this source name.
   */
  runId?: string
}

export interface CdcSummary {
  pipeline: string
  slot: string
  publication: string
  /** The copy this run made: every table with a new slot, or the tables copied alone (`copied`). */
  initialCopy?: LoadSourcesSummary
  /** The tables this run copied (`public.accounts`); empty when it only streamed. */
  copied: string[]
  appliedLsn: string
  changes: number
  transactions: number
  /** Per source table: rows inserted, updated, deleted by the stream in this run; TRUNCATEs applied. */
  tables: StreamedChanges['tables']
}

/**
 * Change data capture of a postgres source's `cdc` tables. The first run creates the publication
 * (exactly these tables) and the slot with an exported snapshot, copies the tables with that
 * snapshot through the shared writer, and records the slot's consistent point in the destination.
 * Later runs copy alone, with a temporary slot's snapshot, the tables added to the set, those of
 * `refresh` and those whose copy a crash interrupted (the others stream on, untouched), and drop
 * the removed ones from the publication; a slot lost on the source starts everything again with a
 * new slot (logged). Every run then streams from the recorded position (`streamWithReconnect`).
 *
 * ```ts
 * await replicateCdc({ sourceName: 'postgres', source, destination, tables: ['public.accounts'], targetSchema: 'raw', follow: true, signal })
 * ```
 */
export async function replicateCdc(options: ReplicateCdcOptions): Promise<CdcSummary> {
  const logger = options.logger ?? silentLogger
  const names = cdcNames(options.sourceName)
  const wait = { waitSeconds: options.connectWaitSeconds ?? 30, logger }
  const normal = (t: string) => splitTableName(t).join('.')
  const tables = [...new Set(options.tables.map(normal))].sort()
  const refresh = (options.refresh ?? []).map(normal).filter((t) => tables.includes(t))
  const source = await connectClient(options.source, { ...wait, applicationName: 'elt-cdc' })
  let destination: pg.Client | undefined
  let failed = true
  let prepared: { state: CdcPipelineState; summary?: LoadSourcesSummary; copied: string[] }
  // the preparation's own queries are watched for a connection gone silent; not while other connections work (slot creation, copies)
  let away = 0
  const elsewhere: Elsewhere = async (work) => {
    away++
    try {
      return await work()
    } finally {
      away--
    }
  }
  const watch = watchForStall({
    what: `preparing cdc ${options.sourceName}`,
    ends: () => (away > 0 ? [] : watchedEnds({ source: [sessionOf(source, options.source)], destination: [destination && sessionOf(destination, options.destination)] })),
    seconds: options.stallSeconds ?? defaultStallSeconds,
    hint: 'The run stopped before streaming: nothing after the last applied transaction was acknowledged, a rerun goes on from there.',
    onStall: () => {
      for (const client of [source, destination]) if (client) discardClient(client)
    },
  })
  try {
    destination = await connectClient(options.destination, { ...wait, applicationName: 'elt-cdc-apply' })
    await checkCdcSource(source, options.sourceName, tables)
    await migrateCdcState(destination)
    const replication = await negotiateClientConfig(options.source, { ...wait, applicationName: 'elt-cdc-stream' })
    let state = await readCdcState(destination, options.sourceName)
    if (state && !(await slotExists(source, state.slot))) {
      logger.warn(`cdc ${options.sourceName}: the slot "${state.slot}" is gone from the source; copying the cdc tables again with a new slot.`)
      state = undefined
    }
    if (!state) {
      prepared = await initialCopyWithSlot(options, source, destination, replication, names, tables, elsewhere)
    } else {
      const due = tables.filter((t) => refresh.includes(t) || !state.tables.includes(t) || state.copiedLsns[t] === null)
      const removed = state.tables.filter((t) => !tables.includes(t))
      if (due.length > 0 || removed.length > 0) {
        const why = (t: string) => (refresh.includes(t) ? 'full refresh' : !state.tables.includes(t) ? 'added to the cdc tables' : 'its last copy did not finish')
        if (due.length > 0) logger.info(`cdc ${options.sourceName}: copying ${due.map((t) => `${t} (${why(t)})`).join(', ')} alone; the slot "${state.slot}" goes on for the other tables.`)
        if (removed.length > 0) logger.info(`cdc ${options.sourceName}: ${removed.join(', ')} left the cdc tables: no longer streamed (the raw table stays as it is).`)
        prepared = await copyTablesAlone(options, source, destination, replication, state, tables, due, elsewhere)
      } else {
        prepared = { state, copied: [] }
      }
    }
    if (options.warnRetainedWalBytes !== undefined) {
      const status = await cdcSlotStatus(source, names, null)
      if ((status.retainedBytes ?? 0) > options.warnRetainedWalBytes) {
        logger.warn(`cdc ${options.sourceName}: the slot "${names.slot}" retains ${status.retainedBytes} bytes of WAL on the source (warnRetainedWalBytes: ${options.warnRetainedWalBytes}). Run pnpm elt replicate more often, or pnpm elt cdc drop if this pipeline is no longer used.`)
      }
    }
    failed = false
  } catch (error) {
    throw watch.stalled ?? error
  } finally {
    watch.stop()
    // after a failure the other side may be stalled: close without waiting for it
    for (const client of [destination, source]) if (client) failed ? discardClient(client) : await client.end().catch(() => {})
  }
  const { state, summary, copied } = prepared
  const streamed = await streamWithReconnect(options, { slot: state.slot, publication: state.publication, copied, fromLsn: state.appliedLsn })
  return { pipeline: options.sourceName, ...names, ...(summary ? { initialCopy: summary } : {}), copied, ...streamed }
}
