import type { CommandContext } from '../context.ts'
import { extractTask, renderExtractSummary, stageDay } from './extract-task.ts'
import { documentsTask, splitSources } from './documents-task.ts'
import { loadTask, renderLoadSummary } from './load-task.ts'

/** `run --date D`'s day: checked like `extract --date` (exit 2 for a bad date or no stage). */
export function stageDayOf(context: CommandContext, value: unknown): string {
  return stageDay(context, value, 'extract')
}

/**
 * The first steps of `run --date D`: extract every source's day to the stage, then load that
 * day from the stage (both recorded under the run's id), then upsert the document sources
 * (not staged). Returns the loaded tables.
 *
 * ```ts
 * const tables = await extractAndLoad(context, { date: '2024-01-15', runId })
 * ```
 */
export async function extractAndLoad(context: CommandContext, options: { date: string; jobs?: number; runId: string }): Promise<object[]> {
  const extracted = await extractTask(context, { date: options.date, select: [], jobs: options.jobs, runId: options.runId })
  if (!context.json) context.logger.info(renderExtractSummary(extracted) + '\n')
  const loaded = await loadTask(context, { date: options.date, select: [], jobs: options.jobs, runId: options.runId })
  if (!context.json) context.logger.info(renderLoadSummary(loaded) + '\n')
  // document sources are not staged: they are upserted from their source (a live collection or an export file) after the day's tables
  await documentsTask(context, splitSources(context.config.sources).documents, options.runId)
  return loaded.tables
}
