import { load, stagedDayFor, type LoadSummary } from '@elt/extract-load'
import type { CommandContext } from '../context.ts'
import { formatBytes, formatCount, formatSeconds, renderTable } from '../output/format.ts'
import { createProgress } from '../output/progress.ts'
import { showTableEvent } from '../output/replication-summary.ts'

export interface LoadTaskOptions {
  date: string
  select: string[]
  jobs?: number
  runId: string
}

/** Refuses (exit 1, one paragraph) a day that was not completely extracted, before any connection. */
export async function checkLoadDay(context: CommandContext, options: { date: string; select: string[] }): Promise<void> {
  await stagedDayFor(context.config, options.date, options.select)
}

/**
 * Loads a staged day of the selected sources into their target tables through the shared
 * writer. Used by `load` and as the second step of `run --date`.
 *
 * ```ts
 * const summary = await loadTask(context, { date: '2024-01-15', select: [], runId })
 * ```
 */
export async function loadTask(context: CommandContext, options: LoadTaskOptions): Promise<LoadSummary> {
  const databases = await context.databases()
  const progress = createProgress(context.io)
  try {
    return await load({
      config: context.config,
      destination: databases.destination,
      date: options.date,
      select: options.select,
      runId: options.runId,
      ...(options.jobs !== undefined ? { jobs: options.jobs } : {}),
      retry: context.env.retry,
      connectWaitSeconds: context.env.connectWaitSeconds,
      stallSeconds: context.env.stallSeconds,
      logger: context.logger,
      signal: context.signal,
      onEvent: (event) => showTableEvent(progress, event),
    })
  } finally {
    progress.stop()
  }
}

/** The summary printed after `load`: one line per table, then the day and the totals. */
export function renderLoadSummary(summary: LoadSummary): string {
  const rows = summary.tables.map((t) => [t.sourceName, t.source, t.target, formatCount(t.rows), formatBytes(t.bytes), formatSeconds(t.seconds)])
  const totalRows = summary.tables.reduce((n, t) => n + t.rows, 0)
  return [
    renderTable([['source', 'table', 'target', 'rows', 'bytes', 'time'], ...rows]),
    '',
    `Day ${summary.date} loaded: ${summary.tables.length} table(s), ${formatCount(totalRows)} rows in ${formatSeconds(summary.seconds)} — ${summary.status}`,
  ].join('\n')
}
