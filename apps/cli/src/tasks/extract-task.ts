import { extract, requireStage, stageDate, todayIn, type ExtractEvent, type ExtractSummary } from '@elt/extract-load'
import type { CommandContext } from '../context.ts'
import { formatBytes, formatCount, formatRate, formatSeconds, renderTable } from '../output/format.ts'
import { createProgress } from '../output/progress.ts'

/**
 * The day a stage command works on: `--date` checked (exit 2 when not a real YYYY-MM-DD day),
 * else today in the config's `timezone`. Also checks that the config has a stage (exit 2 saying
 * how to add one), before anything starts.
 */
export function stageDay(context: CommandContext, value: unknown, command: 'extract' | 'load'): string {
  requireStage(context.config, command)
  if (value === undefined) return todayIn(context.config.timezone)
  return stageDate(String(value))
}

export interface ExtractTaskOptions {
  date: string
  select: string[]
  jobs?: number
  runId: string
}

/**
 * Extracts the day of the selected sources into the stage, rendering per-table progress on
 * stderr. Used by `extract` and as the first step of `run --date`.
 *
 * ```ts
 * const summary = await extractTask(context, { date: '2024-01-15', select: ['source:csv'], runId })
 * ```
 */
export async function extractTask(context: CommandContext, options: ExtractTaskOptions): Promise<ExtractSummary> {
  const databases = await context.databases()
  const progress = createProgress(context.io)
  try {
    return await extract({
      config: context.config,
      databases,
      date: options.date,
      select: options.select,
      jobs: options.jobs,
      runId: options.runId,
      retry: context.env.retry,
      connectWaitSeconds: context.env.connectWaitSeconds,
      stallSeconds: context.env.stallSeconds,
      logger: context.logger,
      signal: context.signal,
      onEvent: (event) => renderExtractEvent(event, progress),
    })
  } finally {
    progress.stop()
  }
}

function renderExtractEvent(event: ExtractEvent, progress: ReturnType<typeof createProgress>): void {
  if (event.type === 'days-pruned') return progress.log(`stage ${event.source}: pruned ${event.dates.join(', ')} (stage.keepDays)`)
  if (event.type === 'day-published') return
  const key = `${event.source}: ${event.table}`
  const arrow = `${key} → stage`
  if (event.type === 'table-started') progress.start(key, `${arrow}  started`)
  else if (event.type === 'table-progress') progress.update(key, [arrow, `${formatCount(event.rows)} rows`, formatBytes(event.bytes), formatRate(event.bytes, event.seconds)].filter(Boolean).join('  '))
  else if (event.type === 'table-finished') progress.done(key, [arrow, `${formatCount(event.rows)} rows`, formatBytes(event.bytes), formatSeconds(event.seconds)].join('  '))
  else progress.done(key, `${arrow}  failed: ${event.message}`)
}

/** The summary printed after `extract`: one line per table, then the day and the totals. */
export function renderExtractSummary(summary: ExtractSummary): string {
  const rows = summary.tables.map((t) => [t.source, t.table, formatCount(t.rows), formatBytes(t.bytes), String(t.files), formatSeconds(t.seconds)])
  const totalRows = summary.tables.reduce((n, t) => n + t.rows, 0)
  const totalBytes = summary.tables.reduce((n, t) => n + t.bytes, 0)
  return [
    renderTable([['source', 'table', 'rows', 'bytes', 'files', 'time'], ...rows]),
    ...summary.pruned.map((p) => `pruned ${p.source}: ${p.dates.join(', ')} (stage.keepDays)`),
    '',
    `Day ${summary.date} extracted to ${summary.stageDir}: ${summary.tables.length} table(s), ${formatCount(totalRows)} rows, ${formatBytes(totalBytes)} in ${formatSeconds(summary.seconds)} — ${summary.status}`,
  ].join('\n')
}
