import type pg from 'pg'
import { connectClient, negotiateClientConfig, silentLogger, type DatabaseTarget, type Logger, type RetryPolicy } from '@elt/core'
import { discardClient } from '../../write/copy-part.ts'
import { loadSources } from '../../write/load-sources.ts'
import type { LoadSourcesSummary } from '../../write/load-sources-options.ts'
import { postgresReader } from '../postgres/postgres-reader.ts'
import { cdcNames } from './cdc-names.ts'
import { cdcSlotStatus } from './cdc-status.ts'
import { createPublication, createSlotWithSnapshot, dropSlotAndPublication, slotExists } from './cdc-slot.ts'
import { migrateCdcState, readCdcState, writeCdcState, type CdcPipelineState } from './cdc-state.ts'
import { checkCdcSource, splitTableName } from './check-cdc-source.ts'
import { streamChanges, type CdcProgress, type StreamedChanges } from './stream-changes.ts'

export interface ReplicateCdcOptions {
  /** The postgres source's name in the config: the pipeline (`elt_<name>` slot and publication). */
  sourceName: string
  source: DatabaseTarget
  destination: DatabaseTarget
  /** The source's cdc tables (`public.accounts`). */
  tables: readonly string[]
  targetSchema: string
  /** Keep streaming until `signal` aborts (`--follow`); else stop at the WAL position of the start. */
  follow?: boolean
  signal?: AbortSignal
  jobs?: number
  retry?: RetryPolicy
  connectWaitSeconds?: number
  logger?: Logger
  heartbeatSeconds?: number
  /** Fail when nothing comes from the source for this long (default 120 s). */
  silenceSeconds?: number
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
  /** The initial copy, when this run made one (a new slot). */
  initialCopy?: LoadSourcesSummary
  appliedLsn: string
  changes: number
  transactions: number
  /** Per source table: rows inserted, updated, deleted by the stream in this run; TRUNCATEs applied. */
  tables: StreamedChanges['tables']
}

/**
 * Change data capture of a postgres source's `cdc` tables. The first run creates the publication
 * (exactly these tables) and the slot with an exported snapshot, copies the tables with that
 * snapshot through the shared writer, and records the slot's consistent point in the destination;
 * every run then streams from the recorded position (see `streamChanges`). A table set that changed,
 * or a slot lost on the source, starts again with a new slot and copy (logged).
 *
 * ```ts
 * await replicateCdc({ sourceName: 'postgres', source, destination, tables: ['public.accounts'], targetSchema: 'raw', follow: true, signal })
 * ```
 */
export async function replicateCdc(options: ReplicateCdcOptions): Promise<CdcSummary> {
  const logger = options.logger ?? silentLogger
  const names = cdcNames(options.sourceName)
  const wait = { waitSeconds: options.connectWaitSeconds ?? 30, logger }
  const tables = [...options.tables].map((t) => splitTableName(t).join('.')).sort()
  const source = await connectClient(options.source, { ...wait, applicationName: 'elt-cdc' })
  let destination: pg.Client | undefined
  let failed = true
  try {
    destination = await connectClient(options.destination, { ...wait, applicationName: 'elt-cdc-apply' })
    await checkCdcSource(source, options.sourceName, tables)
    await migrateCdcState(destination)
    const replication = await negotiateClientConfig(options.source, { ...wait, applicationName: 'elt-cdc-stream' })
    let state = await readCdcState(destination, options.sourceName)
    let initialCopy: LoadSourcesSummary | undefined
    if (state && (state.tables.join(',') !== tables.join(',') || !(await slotExists(source, state.slot)))) {
      logger.warn(`cdc ${options.sourceName}: ${state.tables.join(',') !== tables.join(',') ? 'the cdc tables changed' : `the slot "${state.slot}" is gone from the source`}; copying the cdc tables again with a new slot.`)
      state = undefined
    }
    if (!state) {
      const made = await initialCopyWithSlot(options, source, destination, replication, names, tables)
      state = made.state
      initialCopy = made.summary
    }
    if (options.warnRetainedWalBytes !== undefined) {
      const status = await cdcSlotStatus(source, names, null)
      if ((status.retainedBytes ?? 0) > options.warnRetainedWalBytes) {
        logger.warn(`cdc ${options.sourceName}: the slot "${names.slot}" retains ${status.retainedBytes} bytes of WAL on the source (warnRetainedWalBytes: ${options.warnRetainedWalBytes}). Run pnpm elt replicate more often, or pnpm elt cdc drop if this pipeline is no longer used.`)
      }
    }
    const streamed = await streamChanges({
      replication,
      source,
      destination,
      pipeline: options.sourceName,
      slot: state.slot,
      publication: state.publication,
      targetSchema: options.targetSchema,
      startLsn: state.appliedLsn,
      follow: options.follow ?? false,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.heartbeatSeconds !== undefined ? { heartbeatSeconds: options.heartbeatSeconds } : {}),
      ...(options.silenceSeconds !== undefined ? { silenceSeconds: options.silenceSeconds } : {}),
      ...(options.onApplied ? { onApplied: options.onApplied } : {}),
      ...(options.runId ? { run: { runId: options.runId, fullCopy: initialCopy !== undefined } } : {}),
    })
    failed = false
    return { pipeline: options.sourceName, ...names, ...(initialCopy ? { initialCopy } : {}), ...streamed }
  } finally {
    // after a failure the other side may be stalled: close without waiting for it
    for (const client of [destination, source]) if (client) failed ? discardClient(client) : await client.end().catch(() => {})
  }
}

/** Publication, slot with its exported snapshot, the copy as of that snapshot, then the state: in that order, so a failure anywhere starts over cleanly. */
async function initialCopyWithSlot(
  options: ReplicateCdcOptions,
  source: pg.Client,
  destination: pg.Client,
  replication: pg.ClientConfig,
  names: { slot: string; publication: string },
  tables: string[],
): Promise<{ state: CdcPipelineState; summary: LoadSourcesSummary }> {
  await dropSlotAndPublication(source, names)
  await createPublication(source, names.publication, tables)
  const slot = await createSlotWithSnapshot(replication, names.slot)
  try {
    const schemas = [...new Set(tables.map((t) => splitTableName(t)[0]))]
    const summary = await loadSources({
      sources: [{ name: options.sourceName, reader: postgresReader, config: { schemas, include: tables, snapshotId: slot.snapshotId }, targetSchema: options.targetSchema, database: options.source }],
      destination: options.destination,
      fresh: true, // never resume tables of another snapshot: the stream starts at this one
      ...(options.jobs !== undefined ? { jobs: options.jobs } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.connectWaitSeconds !== undefined ? { connectWaitSeconds: options.connectWaitSeconds } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    })
    const state = { pipeline: options.sourceName, ...names, tables, appliedLsn: slot.consistentPoint }
    await writeCdcState(destination, state)
    return { state, summary }
  } finally {
    await slot.close()
  }
}
