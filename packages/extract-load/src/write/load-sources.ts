import { randomUUID } from 'node:crypto'
import os from 'node:os'
import type pg from 'pg'
import { EltError, ExitCode, connectClient, defaultRetryPolicy, defaultStallSeconds, describeError, describeTarget, qualifiedName, sessionOf, silentLogger, watchedEnds, watchForStall, withPartialResult, type DatabaseTarget } from '@elt/core'
import { sourceName, targetName, type TableDef } from '../introspect/catalog.ts'
import { tableMatcher } from '../introspect/select-tables.ts'
import { addForeignKeys } from '../load/add-foreign-keys.ts'
import { prepareDestination } from '../load/prepare-destination.ts'
import { setSequences } from '../load/set-sequences.ts'
import type { ReplicationEvent } from '../replication-events.ts'
import { applySessionSettings, serverMajor } from '../session-settings.ts'
import type { ReaderSession, SourcePlan, TableSelection } from '../sources/source-reader.ts'
import { migrateRejectedRows } from '../sources/csv/rejected-rows.ts'
import { parseStageSelectors, type StageSelector } from '../stage/stage-selection.ts'
import {
  finishReplication,
  findInterruptedRun,
  migrateLoadState,
  recordLoad,
  recordSnapshotTime,
  startReplication,
  tryLockTarget,
  type InterruptedRun,
  type SourceRun,
} from '../state/load-state.ts'
import type { StepName } from '../steps.ts'
import type { LoadSourcesOptions, LoadSourcesSummary, LoadedTableSummary, SourceToLoad } from './load-sources-options.ts'
import { tableStrategies } from './merge/table-strategies.ts'
import { jobKey, runWriters, type WriteJob } from './run-writers.ts'
import { discardClient } from './copy-part.ts'
import { fullStrategy } from './table-strategy.ts'

/** A source opened for this run. */
interface OpenSource {
  source: SourceToLoad
  session: ReaderSession
  plan: SourcePlan
  run: SourceRun
  interrupted?: InterruptedRun
}

/**
 * Loads every selected source into its target tables in one run: each source's reader opens its
 * session (a PostgreSQL snapshot, a CSV source's files), discovers its tables, and one pool of
 * writers (`jobs`) takes the tables of all sources, largest first, each table shadow-loaded and
 * swapped in its own transaction (see `writeTable`). Then the foreign keys, then each source's
 * sequences. Every source gets its row in `_elt.replications` (`source_name`), resumes only its own
 * interrupted run (see `findInterruptedRun`), and two sources writing one target table are refused
 * at discovery (exit 2). Throws an `EltError` (exit 1, or 2 for bad usage) on failure; tables
 * swapped in stay, the others keep their previous copy. A table's own failure does not stop the
 * others: they are all loaded and the failures thrown together (see `runWriters`).
 *
 * Any reader plugs in, the stage's included (`load --date`):
 *
 * ```ts
 * const summary = await loadSources({
 *   sources: [
 *     { name: 'postgres', reader: postgresReader, config: { schemas: ['public'] }, targetSchema: 'raw', database: source },
 *     { name: 'ticket_sales', reader: csvReader, config: { path: '/repo/data/sales.csv', table: 'ticket_sales' }, targetSchema: 'raw' },
 *     // the stage: { name: 'postgres', reader: stageReader, config: { stageDir, day }, targetSchema: 'raw' }
 *   ],
 *   destination, jobs: 4, runId,
 * })
 * // summary.tables → [{ source: 'public.films', target: 'raw.films', sourceName: 'postgres', kind: 'postgres', rows: 120, … }, …]
 * ```
 */
export async function loadSources(options: LoadSourcesOptions): Promise<LoadSourcesSummary> {
  const started = performance.now()
  const runId = options.runId ?? randomUUID()
  const logger = options.logger ?? silentLogger
  const emit = (event: ReplicationEvent) => options.onEvent?.(event)
  const jobs = Math.max(1, options.jobs ?? os.availableParallelism())
  const verify = options.verify === true
  const retry = options.retry ?? defaultRetryPolicy
  const waitSeconds = options.connectWaitSeconds ?? 30
  const connect = async (target: DatabaseTarget, name: string) => {
    const client = await connectClient(target, { waitSeconds, logger, applicationName: name })
    await applySessionSettings(client)
    return client
  }
  const chosen = chooseSources(options)
  // The state session holds the targets' locks and records the run: when it is lost, the run stops.
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

  const state = await connect(options.destination, 'elt-replicate-state')
  state.on('error', (error: unknown) => stop.abort(stateLost(error)))
  const opened: OpenSource[] = []
  const sessions: ReaderSession[] = []
  // the run's own sessions (the state session, each source's coordinator) are watched outside the copy step, whose loads are watched per table
  const watchRun = (what: string) =>
    watchForStall({
      what,
      ends: () => watchedEnds({ source: sessions.map((s) => s.backend?.()), destination: [sessionOf(state, options.destination)] }),
      partial: () => sessions.some((s) => s.backend?.() === undefined),
      seconds: options.stallSeconds ?? defaultStallSeconds,
      hint: 'The run stopped: tables already swapped in are kept, the others keep their previous copy. Rerun.',
      onStall: (error) => {
        stop.abort(error)
        discardClient(state)
        for (const session of sessions) void session.close().catch(() => {})
      },
    })
  let runWatch = watchRun('preparing the run')
  const recorded: SourceRun[] = []
  let keysPending: TableDef[] | undefined
  try {
    await migrateLoadState(state)
    await migrateRejectedRows(state)
    for (const schema of [...new Set(chosen.map((c) => c.source.targetSchema))].sort()) {
      if (!(await tryLockTarget(state, schema))) {
        throw new EltError(`Another replication into the destination schema "${schema}" is running.`, {
          hint: 'Wait for it to finish (see _elt.replications), then rerun.',
        })
      }
    }
    const open: Omit<OpenSource, 'plan'>[] = []
    for (const { source } of chosen) {
      const session = await source.reader.open(source.config as never, {
        sourceName: source.name,
        targetSchema: source.targetSchema,
        ...(source.database ? { database: source.database } : {}),
        connectWaitSeconds: waitSeconds,
        retry,
        logger,
        signal,
      })
      sessions.push(session)
      const run = { runId, sourceName: source.name }
      const interrupted = options.fresh ? undefined : await findInterruptedRun(state, { source: session.description, sourceName: source.name, targetSchema: source.targetSchema })
      await startReplication(state, { ...run, source: session.description, targetSchema: source.targetSchema, jobs, verify })
      recorded.push(run)
      await recordSnapshotTime(state, run, session.snapshotAt)
      open.push({ source, session, run, ...(interrupted ? { interrupted } : {}) })
    }
    await step('introspect', async () => {
      for (const [i, o] of open.entries()) opened.push({ ...o, plan: await o.session.discover(chosen[i]!.only) })
    })
    checkSelectorsMatched(chosen, opened)
    checkCollisions(opened)
    const strategies = opened.map((o, i) => tableStrategies(o.source, o.plan, chosen[i]!.only !== undefined))
    const allTables = opened.flatMap((o) => o.plan.tables)
    keysPending = allTables
    await step('prepare', () =>
      prepareDestination(state, { tables: allTables, types: opened.flatMap((o) => o.plan.types), sequences: opened.flatMap((o) => o.plan.sequences) }, logger),
    )

    const summaries = new Map<string, LoadedTableSummary>()
    const toWrite: WriteJob[] = []
    for (const [index, o] of opened.entries()) {
      // a cursor or cdc table is never taken over: its marks make running it again exact and cheap
      const resumed = o.interrupted && !options.fullRefresh ? await takeOver(state, o, runId, (t) => (strategies[index]!.get(sourceName(t)) ?? fullStrategy).strategy === 'full') : []
      for (const r of resumed) {
        summaries.set(`${index}:${r.source}`, r)
        emit({ type: 'table-resumed', source: r.source, target: r.target, rows: r.rows, bytes: r.bytes, fromRunId: r.resumedFrom as string, snapshotAt: r.snapshotAt ?? null })
      }
      const rest = o.plan.tables.filter((t) => !summaries.has(`${index}:${sourceName(t)}`))
      if (o.interrupted && resumed.length > 0) {
        logger.info(
          `${o.source.name}: resuming interrupted run ${o.interrupted.runId} (snapshot of ${resumed[0]?.snapshotAt ?? 'an unknown time'}): ` +
            `${resumed.map((r) => r.source).join(', ')} taken over, ${rest.length} table(s) to copy`,
        )
      }
      toWrite.push(...rest.map((table) => ({ table, source: index, strategy: strategies[index]!.get(sourceName(table)) ?? fullStrategy })))
    }
    toWrite.sort((a, b) => b.table.estimatedBytes - a.table.estimatedBytes) // stable: a source's own order within equal sizes

    /** Each source's session finished: its snapshot released, its sequences read after the copy. */
    const finishSources = () => {
      runWatch = watchRun('finishing the run')
      return Promise.all(opened.map((o) => o.session.finish()))
    }
    /** The sequences of `plan.sequences` and the identity columns of the tables `loaded` keeps, set to the values `finishSources` read. */
    const setSourceSequences = async (finished: Awaited<ReturnType<typeof finishSources>>, loaded: (table: TableDef, index: number) => boolean) => {
      for (const [i, o] of opened.entries()) await setSequences(state, { ...o.plan, tables: o.plan.tables.filter((t) => loaded(t, i)) }, finished[i]!.sequences)
    }
    const destinationMajor = await serverMajor(state)
    runWatch.stop()
    const { results: written, failed, failure, stopped } = await step('copy', () =>
      runWriters({
        jobs: toWrite,
        sessions: opened.map((o) => ({ name: o.source.name, session: o.session })),
        workers: jobs,
        connect: () => connect(options.destination, 'elt-replicate-load'),
        destination: options.destination,
        ...(options.stallSeconds !== undefined ? { stallSeconds: options.stallSeconds } : {}),
        destinationMajor,
        verify,
        runId,
        retry,
        state,
        emit,
        logger,
        signal,
        ...(options.swapLockWait ? { swapLockWait: options.swapLockWait } : {}),
        fullRefresh: options.fullRefresh === true,
      }),
    )
    for (const job of toWrite) {
      const r = written.get(jobKey(job))
      const o = opened[job.source]!
      if (!r) continue
      const rejected = o.session.quarantines === true || r.rejected > 0 ? { rejected: r.rejected } : {}
      summaries.set(jobKey(job), {
        source: sourceName(job.table),
        target: targetName(job.table),
        rows: r.rows,
        bytes: r.bytes,
        seconds: r.seconds,
        sourceName: o.source.name,
        kind: o.source.reader.kind,
        ...rejected,
        strategy: r.strategy,
        inserted: r.inserted,
        updated: r.updated,
        deleted: r.deleted,
      })
    }
    const summary = (status: LoadSourcesSummary['status']): LoadSourcesSummary => ({
      runId,
      status,
      seconds: round3((performance.now() - started) / 1000),
      ...(opened[0] ? { snapshotAt: opened[0].session.snapshotAt.toISOString() } : {}),
      sources: opened.map((o) => ({ name: o.source.name, kind: o.source.reader.kind, description: o.session.description, snapshotAt: o.session.snapshotAt.toISOString() })),
      tables: opened.flatMap((o, index) => o.plan.tables.map((t) => summaries.get(`${index}:${sourceName(t)}`)).filter((s): s is LoadedTableSummary => s !== undefined)),
    })
    if (failure !== undefined) {
      // for the failure's report (`--json`, the service's alerts): the tables loaded beside the failed ones, then each failed one with its error
      const failedTables = toWrite.flatMap((job) => {
        const error = failed.get(jobKey(job))
        return error === undefined ? [] : [{ source: sourceName(job.table), target: targetName(job.table), sourceName: opened[job.source]!.source.name, status: 'error', error: describeError(error) }]
      })
      const partial = summary('error')
      if (!stopped && !signal.aborted) {
        // the tables that were loaded are whole: their sequences are set as after a successful run (a failed table's identity stays as it was)
        await finishSources()
          .then((finished) => setSourceSequences(finished, (table, index) => summaries.has(`${index}:${sourceName(table)}`)))
          .catch((error: unknown) => logger.warn(`sequences were not set (the next successful run sets them): ${describeError(error)}`))
      }
      throw withPartialResult(failure, { ...partial, tables: [...partial.tables, ...failedTables] })
    }
    const finished = await finishSources()

    await step('foreign-keys', () => addForeignKeys(state, allTables, logger))
    keysPending = undefined
    await step('sequences', () => setSourceSequences(finished, () => true))

    for (const o of opened) await finishReplication(state, o.run, 'success')
    return summary('success')
  } catch (error) {
    runWatch.stop()
    runWatch = watchRun('recording the failed run')
    // a failed query may be the first sign of a lost state session, before its 'error' event
    if (!stop.signal.aborted && !(await state.query('select 1').then(() => true, () => false))) stop.abort(stateLost(error))
    if (stop.signal.aborted) throw stop.signal.reason
    if (keysPending) {
      // best effort: the foreign keys the swaps re-added `NOT VALID` are validated where the data allows
      await addForeignKeys(state, keysPending, logger, { bestEffort: true }).catch(() => 0)
    }
    for (const run of recorded) await finishReplication(state, run, 'error', describeError(error)).catch(() => {})
    throw error
  } finally {
    runWatch.stop()
    await Promise.all([...sessions.map((s) => s.close().catch(() => {})), state.end().catch(() => {})])
  }
}

const round3 = (n: number) => Math.round(n * 1000) / 1000

/** A chosen source with the tables the command line narrows it to. */
interface ChosenSource {
  source: SourceToLoad
  only?: TableSelection
  /** `--select` values naming a table of this source (checked after discovery). */
  named: { text: string; pattern: string }[]
}

/** The table part of `source:<name>.<table>`, or undefined for a whole source. */
const tablePattern = (s: StageSelector): string | undefined => {
  const dot = s.text.indexOf('.')
  return dot < 0 ? undefined : s.text.slice(dot + 1)
}

/** The sources `select`/`exclude` keep, each with its table patterns (see `parseStageSelectors`). */
function chooseSources(options: LoadSourcesOptions): ChosenSource[] {
  const names = options.sources.map((s) => s.name)
  const select = parseStageSelectors(options.select ?? [], names)
  const exclude = parseStageSelectors(options.exclude ?? [], names)
  const out: ChosenSource[] = []
  for (const source of options.sources) {
    const mine = select.filter((s) => s.source(source.name))
    const minus = exclude.filter((s) => s.source(source.name))
    if (select.length > 0 && mine.length === 0) continue
    if (minus.some((s) => tablePattern(s) === undefined)) continue
    const include = mine.some((s) => tablePattern(s) === undefined) ? [] : mine.map(tablePattern).filter((p): p is string => p !== undefined)
    const leaveOut = minus.map(tablePattern).filter((p): p is string => p !== undefined)
    const only = include.length > 0 || leaveOut.length > 0 ? { ...(include.length > 0 ? { include } : {}), ...(leaveOut.length > 0 ? { exclude: leaveOut } : {}) } : undefined
    out.push({ source, ...(only ? { only } : {}), named: include.length > 0 ? mine.map((s) => ({ text: s.text, pattern: tablePattern(s)! })) : [] })
  }
  if (out.length === 0) {
    throw new EltError(names.length === 0 ? 'There is no source to load.' : '--select/--exclude leave no source to load.', {
      hint: names.length === 0 ? 'Add a source under sources in elt.config.ts.' : `Sources in the config: ${names.join(', ')}.`,
      exitCode: ExitCode.usage,
    })
  }
  return out
}

/** A `--select source:<name>.<table>` without wildcards that matched no table of its source: a usage error (exit 2). */
function checkSelectorsMatched(chosen: readonly ChosenSource[], opened: readonly OpenSource[]): void {
  for (const [i, c] of chosen.entries()) {
    const tables = opened[i]!.plan.tables
    for (const n of c.named) {
      if (/[*?[\]{}]/.test(n.pattern)) continue
      const matches = tableMatcher(n.pattern)
      if (tables.some((t) => matches(t.schema, t.name))) continue
      throw new EltError(`--select ${n.text}: source "${c.source.name}" has no such table.`, {
        hint: `Its tables: ${tables.map(sourceName).join(', ') || 'none'} (name them <table> or <schema>.<table>).`,
        exitCode: ExitCode.usage,
      })
    }
  }
}

/** Two sources writing the same target table: a usage error (exit 2) naming both. */
function checkCollisions(opened: readonly OpenSource[]): void {
  const writers = new Map<string, string>()
  for (const o of opened) {
    for (const t of o.plan.tables) {
      const target = targetName(t)
      const other = writers.get(target)
      if (other !== undefined && other !== o.source.name) {
        throw new EltError(`Sources "${other}" and "${o.source.name}" both write the table ${target}.`, {
          hint: `Give one of them another targetSchema in elt.config.ts, or leave the table out of one (exclude, or --exclude source:${o.source.name}.${t.name}).`,
          exitCode: ExitCode.usage,
        })
      }
      writers.set(target, o.source.name)
    }
  }
}

/**
 * Tables the interrupted run copied itself that still exist in the destination are not copied
 * again: they are recorded `resumed` (with the run they came from) in this run, and a later
 * run never takes them over again from this one.
 */
async function takeOver(
  state: pg.ClientBase,
  o: Omit<OpenSource, 'interrupted'> & { interrupted?: InterruptedRun },
  runId: string,
  mayTakeOver: (table: TableDef) => boolean,
): Promise<LoadedTableSummary[]> {
  const interrupted = o.interrupted
  if (!interrupted) return []
  const out: LoadedTableSummary[] = []
  const snapshotAt = interrupted.snapshotAt?.toISOString() ?? null
  for (const table of o.plan.tables) {
    if (!mayTakeOver(table)) continue
    const done = interrupted.tables.find((f) => f.sourceTable === sourceName(table) && f.targetTable === targetName(table))
    if (!done) continue
    const { rows } = await state.query<{ ok: boolean }>('select to_regclass($1) is not null as ok', [qualifiedName(table.targetSchema, table.name)])
    if (!rows[0]?.ok) continue
    await recordLoad(state, { ...done, runId, sourceName: o.source.name, status: 'resumed', seconds: 0, resumedFrom: interrupted.runId })
    out.push({
      source: done.sourceTable,
      target: done.targetTable,
      rows: done.rows,
      bytes: done.bytes,
      seconds: 0,
      resumed: true,
      resumedFrom: interrupted.runId,
      snapshotAt,
      sourceName: o.source.name,
      kind: o.source.reader.kind,
      strategy: 'full',
      inserted: 0,
      updated: 0,
      deleted: 0,
    })
  }
  return out
}
