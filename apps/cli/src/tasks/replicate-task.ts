import { combinedFailure, endsTheRun, partialResultOf, withPartialResult } from '@elt/core'
import { configuredSources, loadSources, type LoadSourcesSummary } from '@elt/extract-load'
import type { DocumentLoadSummary } from '@elt/documents'
import type { CommandContext } from '../context.ts'
import { createProgress } from '../output/progress.ts'
import { showTableEvent } from '../output/replication-summary.ts'
import { cdcExcludes, selectedCdcSources, withoutCdcSelectors } from './cdc-tables.ts'
import { documentSelected, documentsTask, splitSources } from './documents-task.ts'

export interface ReplicateTaskOptions {
  /** Tables in parallel; default `replicate.jobs` of the config, else the number of cores. */
  jobs?: number
  verify?: boolean
  /** Copy every table again, ignoring an interrupted run's finished tables. */
  fresh?: boolean
  /** `--full-refresh`: copy the selected tables whole whatever their strategy, and start their cursor marks over (cdc tables: copied alone, their stream goes on from the copy's snapshot). */
  fullRefresh?: boolean
  /** The `_elt.runs` id of the command this replication belongs to. */
  runId?: string
  /** `source:<name>[.<table>]` (globs allowed): only these sources/tables; default all. */
  select?: readonly string[]
  /** Same syntax: left out. */
  exclude?: readonly string[]
  /** `--follow`: after the copies, keep streaming the cdc tables until the command is interrupted. */
  follow?: boolean
  /** Called before `follow` starts streaming (the replicate command releases the pipeline's write lock there: a stream runs for days). */
  beforeFollow?: () => Promise<void>
}

/**
 * Loads every configured source (`sources` of elt.config.ts: PostgreSQL tables, CSV files) into
 * its target tables, rendering per-table progress on stderr (live lines on a TTY, plain lines
 * otherwise), then the document sources, then the cdc pipelines. Used by `replicate` and as the
 * first step of `run`. The three parts are independent: when one fails, the next still run and
 * the failures are thrown together at the end (see `combinedFailure`) — a table that cannot be
 * loaded does not hold back a cdc slot, which pins the source's WAL while it waits. A server or
 * network failure, bad usage or Ctrl-C stops it at once (see `endsTheRun`), and `--follow` does
 * not start streaming after a failure.
 *
 * ```ts
 * const summary = await replicateTask(context, { jobs: 4, verify: true, runId, select: ['source:ticket_sales'] })
 * ```
 */
export async function replicateTask(context: CommandContext, options: ReplicateTaskOptions = {}): Promise<LoadSourcesSummary & { documents?: DocumentLoadSummary[] }> {
  const failures: unknown[] = []
  /** A part's result; when it failed, what it did before (see `withPartialResult`), taken by `partial`. */
  const part = async <T>(work: () => Promise<T>, partial: (done: Record<string, unknown>) => T | undefined): Promise<T | undefined> => {
    if (context.signal.aborted || failures.some(endsTheRun)) return undefined
    try {
      return await work()
    } catch (error) {
      failures.push(error)
      const done = partialResultOf(error)
      return done ? partial(done) : undefined
    }
  }
  // document sources (mongodb, mongodb-export) are upserted through their mapping after the table sources
  const { tables, documents } = splitSources(context.config.sources)
  const chosen = Object.fromEntries(Object.entries(documents).filter(([name]) => documentSelected(name, options.select, options.exclude)))
  const withoutDocuments = (list?: readonly string[]) => list?.filter((s) => !Object.hasOwn(documents, s.replace(/^source:/, '').split('.')[0]!))
  const select = withoutCdcSelectors(context.config.sources, withoutDocuments(options.select))
  // tables with strategy 'cdc' are loaded by their pipeline (slot snapshot, then the stream), not copied
  const exclude = [...(withoutDocuments(options.exclude) ?? []), ...cdcExcludes(context.config.sources)]
  // after a failure, the tables (documents) loaded beside it are reported with it
  const summary =
    Object.keys(tables).length === 0 || (options.select?.length && !select?.length)
      ? undefined
      : await part(() => loadTableSources(context, { ...options, select, exclude }, tables), (done) => done as unknown as LoadSourcesSummary)
  const loaded = (await part(() => documentsTask(context, chosen, options.runId ?? summary?.runId), (done) => done.documents as DocumentLoadSummary[])) ?? []
  const base = summary ?? { runId: options.runId ?? loaded[0]?.runId ?? '', status: 'success' as const, seconds: 0, sources: [], tables: [] }
  const cdc = await selectedCdcSources(context.config.sources, options.select, options.exclude)
  if (cdc.length > 0 && !(options.follow && failures.length > 0)) {
    const streamed = await part(async () => {
      const { cdcTask } = await import('./cdc-task.ts')
      if (options.follow) await options.beforeFollow?.()
      const refresh = options.fullRefresh ? { select: options.select ?? [], exclude: options.exclude ?? [] } : undefined
      return cdcTask(context, { follow: options.follow === true, jobs: options.jobs, only: cdc, runId: base.runId, ...(refresh ? { refresh } : {}) })
    }, () => undefined)
    if (streamed) {
      base.tables.push(...streamed.tables)
      Object.assign(base, { cdc: streamed.pipelines })
    }
  }
  const result = loaded.length ? { ...base, documents: loaded } : base
  if (failures.length === 0) return result
  throw withPartialResult(combinedFailure(failures, 'parts of the replication failed (the others ran)'), { ...result, status: 'error' })
}

async function loadTableSources(context: CommandContext, options: ReplicateTaskOptions, sources: typeof context.config.sources): Promise<LoadSourcesSummary> {
  const databases = await context.databases()
  const progress = createProgress(context.io)
  try {
    return await loadSources({
      sources: configuredSources(sources, databases),
      destination: databases.destination,
      ...(options.select ? { select: options.select } : {}),
      ...(options.exclude ? { exclude: options.exclude } : {}),
      jobs: options.jobs ?? context.config.replicate?.jobs,
      verify: options.verify,
      fresh: options.fresh,
      fullRefresh: options.fullRefresh,
      retry: context.env.retry,
      connectWaitSeconds: context.env.connectWaitSeconds,
      stallSeconds: context.env.stallSeconds,
      runId: options.runId,
      logger: context.logger,
      signal: context.signal,
      onEvent: (event) => {
        if (event.type === 'step-finished') context.logger.debug(`replicate: step ${event.step} took ${event.seconds.toFixed(2)} s`)
        showTableEvent(progress, event)
      },
    })
  } finally {
    progress.stop()
  }
}
