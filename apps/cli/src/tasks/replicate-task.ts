import { replicate, type ReplicationSummary } from '@elt/extract-load'
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
}

/**
 * Replicates the configured source schemas into the destination, rendering per-table
 * progress on stderr (live lines on a TTY, plain lines otherwise). Used by `replicate`
 * and as the first step of `run`.
 *
 * ```ts
 * const summary = await replicateTask(context, { jobs: 4, verify: true, runId })
 * ```
 */
export async function replicateTask(context: CommandContext, options: ReplicateTaskOptions = {}): Promise<ReplicationSummary> {
  const databases = await context.databases()
  const config = context.config.replicate
  const progress = createProgress(context.io)
  try {
    return await replicate({
      source: databases.source,
      destination: databases.destination,
      schemas: config.schemas,
      include: config.include,
      exclude: config.exclude,
      targetSchema: config.targetSchema,
      jobs: options.jobs ?? config.jobs,
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
