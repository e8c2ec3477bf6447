import { configuredSources, loadSources, type LoadSourcesSummary } from '@elt/extract-load'
import type { CommandContext } from '../context.ts'
import { createProgress } from '../output/progress.ts'
import { renderTableEvent } from '../output/replication-summary.ts'

export interface ReplicateTaskOptions {
  /** Tables in parallel; default `replicate.jobs` of the config, else the number of cores. */
  jobs?: number
  verify?: boolean
  /** Copy every table again, ignoring an interrupted run's finished tables. */
  fresh?: boolean
  /** The `_elt.runs` id of the command this replication belongs to. */
  runId?: string
  /** `source:<name>[.<table>]` (globs allowed): only these sources/tables; default all. */
  select?: readonly string[]
  /** Same syntax: left out. */
  exclude?: readonly string[]
}

/**
 * Loads every configured source (`sources` of elt.config.ts: PostgreSQL tables, CSV files) into
 * its target tables, rendering per-table progress on stderr (live lines on a TTY, plain lines
 * otherwise). Used by `replicate` and as the first step of `run`.
 *
 * ```ts
 * const summary = await replicateTask(context, { jobs: 4, verify: true, runId, select: ['source:ticket_sales'] })
 * ```
 */
export async function replicateTask(context: CommandContext, options: ReplicateTaskOptions = {}): Promise<LoadSourcesSummary> {
  const databases = await context.databases()
  const progress = createProgress(context.io)
  try {
    return await loadSources({
      sources: configuredSources(context.config.sources, databases),
      destination: databases.destination,
      ...(options.select ? { select: options.select } : {}),
      ...(options.exclude ? { exclude: options.exclude } : {}),
      jobs: options.jobs ?? context.config.replicate?.jobs,
      verify: options.verify,
      fresh: options.fresh,
      retry: context.env.retry,
      connectWaitSeconds: context.env.connectWaitSeconds,
      runId: options.runId,
      logger: context.logger,
      signal: context.signal,
      onEvent: (event) => {
        if (event.type === 'step-finished') context.logger.debug(`replicate: step ${event.step} took ${event.seconds.toFixed(2)} s`)
        if (!('source' in event)) return
        const key = event.source
        const text = renderTableEvent(event)
        if (event.type === 'table-started') progress.start(key, text)
        else if (event.type === 'table-progress') progress.update(key, text)
        else if (event.type === 'table-retried') progress.log(text)
        else progress.done(key, text)
      },
    })
  } finally {
    progress.stop()
  }
}
