import { randomUUID } from 'node:crypto'
import os from 'node:os'
import type pg from 'pg'
import {
  EltError,
  connectClient,
  defaultRetryPolicy,
  describeError,
  describeTarget,
  qualifiedName,
  silentLogger,
  type DatabaseTarget,
} from '@elt/core'
import { connectPair } from './connect-pair.ts'
import { exportSnapshot } from './extract/export-snapshot.ts'
import { sourceName, targetName, type TableDef } from './introspect/catalog.ts'
import { readPlan, type ReplicationPlan } from './introspect/read-plan.ts'
import { addForeignKeys } from './load/add-foreign-keys.ts'
import { prepareDestination } from './load/prepare-destination.ts'
import { runWorkers } from './load/run-workers.ts'
import { setSequences } from './load/set-sequences.ts'
import type { ReplicationEvent } from './replication-events.ts'
import type { ReplicationOptions, ReplicationSummary, ResumedTable, TableSummary } from './replication-options.ts'
import { applySessionSettings, serverMajor } from './session-settings.ts'
import {
  finishReplication,
  findInterruptedRun,
  migrateLoadState,
  recordLoad,
  recordSnapshotTime,
  startReplication,
  tryLockTarget,
  type InterruptedRun,
} from './state/load-state.ts'
import type { StepName } from './steps.ts'

/**
 * Replicates the selected tables of the source's schemas into the destination
 * (`public.films` → `raw.films`), as of one exported snapshot, in parallel, largest first.
 * Steps: see `steps.ts`. Throws an `EltError` (exit code 1, or 2 for bad config) on failure;
 * tables already swapped in stay, the others keep their previous copy.
 *
 * ```ts
 * const summary = await replicate({ source, destination, schemas: ['public'], targetSchema: 'raw', jobs: 4, verify: true })
 * // summary.tables → [{ source: 'public.films', target: 'raw.films', rows: 120, bytes: 9120, seconds: 0.05 }, …]
 * ```
 */
export async function replicate(options: ReplicationOptions): Promise<ReplicationSummary> {
  const started = performance.now()
  const runId = options.runId ?? randomUUID()
  const logger = options.logger ?? silentLogger
  const emit = (event: ReplicationEvent) => options.onEvent?.(event)
  const targetSchema = options.targetSchema ?? 'raw'
  const jobs = Math.max(1, options.jobs ?? os.availableParallelism())
  const verify = options.verify === true
  const waitSeconds = options.connectWaitSeconds ?? 30
  const connect = async (target: DatabaseTarget, name: string) => {
    const client = await connectClient(target, { waitSeconds, logger, applicationName: name })
    await applySessionSettings(client)
    return client
  }
  // The state session holds the target's lock and records the run: when it is lost, the run stops.
  const stop = new AbortController()
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal
  const stateLost = (cause: unknown) =>
    new EltError(`The connection to the destination database at ${describeTarget(options.destination)} that records this replication and holds its lock was lost (${describeError(cause)}).`, {
      hint: 'The run stopped: tables already swapped in are kept, the others keep their previous copy. Rerun when the destination accepts connections again.',
      cause,
    })
  const step = async <T>(name: StepName, fn: () => Promise<T>): Promise<T> => {
    if (signal.aborted) throw signal.reason
    emit({ type: 'step-started', step: name })
    const t0 = performance.now()
    const result = await fn()
    emit({ type: 'step-finished', step: name, seconds: (performance.now() - t0) / 1000 })
    return result
  }

  const [coordinator, state] = await connectPair([() => connect(options.source, 'elt-replicate'), () => connect(options.destination, 'elt-replicate-state')])
  state.on('error', (error: unknown) => stop.abort(stateLost(error)))
  let recorded = false
  let keysPending: TableDef[] | undefined
  try {
    await migrateLoadState(state)
    if (!(await tryLockTarget(state, targetSchema))) {
      throw new EltError(`Another replication into the destination schema "${targetSchema}" is running.`, {
        hint: 'Wait for it to finish (see _elt.replications), then rerun.',
      })
    }
    const sourceId = describeTarget(options.source)
    const interrupted = options.fresh ? undefined : await findInterruptedRun(state, sourceId, targetSchema)
    await startReplication(state, { runId, source: sourceId, targetSchema, jobs, verify })
    recorded = true

    const snapshotId = await exportSnapshot(coordinator)
    const snapshotAt = await snapshotTime(coordinator)
    await recordSnapshotTime(state, runId, snapshotAt)
    const plan: ReplicationPlan = await step('introspect', () =>
      readPlan(coordinator, { schemas: options.schemas ?? ['public'], include: options.include, exclude: options.exclude, targetSchema }),
    )
    const binaryOk = (await serverMajor(coordinator)) === (await serverMajor(state))
    keysPending = plan.tables
    await step('prepare', () => prepareDestination(state, plan, logger))

    const summaries = new Map<string, TableSummary>()
    const resumed = interrupted ? await takeOver(state, plan.tables, interrupted, runId) : []
    for (const r of resumed) {
      summaries.set(r.source, r)
      emit({ type: 'table-resumed', source: r.source, target: r.target, rows: r.rows, bytes: r.bytes, fromRunId: r.resumedFrom, snapshotAt: r.snapshotAt })
    }
    const toCopy = plan.tables.filter((t) => !summaries.has(sourceName(t)))
    if (interrupted && resumed.length > 0) {
      logger.info(
        `resuming interrupted run ${interrupted.runId} (snapshot of ${resumed[0]?.snapshotAt ?? 'an unknown time'}): ` +
          `${resumed.map((r) => r.source).join(', ')} taken over, ${toCopy.length} table(s) to copy`,
      )
    }

    const loaded = await step('copy', () =>
      runWorkers({
        tables: toCopy,
        jobs,
        snapshotId,
        connect: (side) => (side === 'source' ? connect(options.source, 'elt-replicate-copy') : connect(options.destination, 'elt-replicate-load')),
        formatOf: (t) => (binaryOk && t.columns.every((c) => c.builtin) ? 'binary' : 'text'),
        verify,
        runId,
        retry: options.retry ?? defaultRetryPolicy,
        state,
        emit,
        logger,
        signal,
        swapLockWait: options.swapLockWait,
      }),
    )
    for (const t of toCopy) {
      const r = loaded.get(sourceName(t))
      if (!r) continue
      summaries.set(sourceName(t), { source: sourceName(t), target: targetName(t), ...r })
    }
    await coordinator.query('COMMIT')

    await step('foreign-keys', () => addForeignKeys(state, plan.tables, logger))
    keysPending = undefined
    await step('sequences', () => setSequences(coordinator, state, plan))

    await finishReplication(state, runId, 'success')
    return {
      runId,
      status: 'success',
      seconds: round3((performance.now() - started) / 1000),
      snapshotAt: snapshotAt.toISOString(),
      tables: plan.tables.map((t) => summaries.get(sourceName(t))).filter((s): s is TableSummary => s !== undefined),
    }
  } catch (error) {
    // a failed query may be the first sign of a lost state session, before its 'error' event
    if (!stop.signal.aborted && !(await state.query('select 1').then(() => true, () => false))) stop.abort(stateLost(error))
    if (stop.signal.aborted) throw stop.signal.reason
    if (keysPending) {
      // best effort: the foreign keys the swaps re-added `NOT VALID` are validated where the data allows
      await addForeignKeys(state, keysPending, logger, { bestEffort: true }).catch(() => 0)
    }
    if (recorded) await finishReplication(state, runId, 'error', describeError(error)).catch(() => {})
    throw error
  } finally {
    await Promise.all([coordinator.end().catch(() => {}), state.end().catch(() => {})])
  }
}

const round3 = (n: number) => Math.round(n * 1000) / 1000

/** The instant the exported snapshot was taken, by the source's clock (`now()` of the coordinator's snapshot transaction). */
async function snapshotTime(coordinator: pg.ClientBase): Promise<Date> {
  const { rows } = await coordinator.query<{ at: Date }>('select now() as at')
  return rows[0]?.at ?? new Date()
}

/**
 * Tables the interrupted run copied itself that still exist in the destination are not copied
 * again: they are recorded `resumed` (with the run they came from) in this run, and a later
 * run never takes them over again from this one.
 */
async function takeOver(state: pg.ClientBase, tables: readonly TableDef[], interrupted: InterruptedRun, runId: string): Promise<ResumedTable[]> {
  const out: ResumedTable[] = []
  const snapshotAt = interrupted.snapshotAt?.toISOString() ?? null
  for (const table of tables) {
    const done = interrupted.tables.find((f) => f.sourceTable === sourceName(table) && f.targetTable === targetName(table))
    if (!done) continue
    const { rows } = await state.query<{ ok: boolean }>('select to_regclass($1) is not null as ok', [qualifiedName(table.targetSchema, table.name)])
    if (!rows[0]?.ok) continue
    await recordLoad(state, { ...done, runId, status: 'resumed', seconds: 0, resumedFrom: interrupted.runId })
    out.push({ source: done.sourceTable, target: done.targetTable, rows: done.rows, bytes: done.bytes, seconds: 0, resumed: true, resumedFrom: interrupted.runId, snapshotAt })
  }
  return out
}
