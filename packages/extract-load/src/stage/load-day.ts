import { type DatabaseTarget, type LockWaitPolicy } from '@elt/core'
import type { ReplicationEvent } from '../replication-events.ts'
import { loadSources } from '../write/load-sources.ts'
import type { LoadSourcesSummary } from '../write/load-sources-options.ts'
import { checkStagedDay, type StagedSourceDay } from './check-staged-day.ts'
import { resolveStagedTables } from './resolve-staged-tables.ts'
import { requireStage, type StageDayOptions, type StageRunConfig } from './stage-config.ts'
import { stageReader } from './stage-reader.ts'
import { parseStageSelectors, selectedSources } from './stage-selection.ts'
import { isDocumentSourceKind } from '../sources/configured-sources.ts'

export interface LoadOptions extends StageDayOptions {
  /** Where the tables land (the source database is never contacted). */
  destination: DatabaseTarget
  onEvent?: (event: ReplicationEvent) => void
  swapLockWait?: Partial<LockWaitPolicy>
}

/** `loadSources`' summary and the day it loaded. */
export type LoadSummary = LoadSourcesSummary & { date: string }

/**
 * The complete staged day of the selected sources (their tables, or those `--select` names),
 * or the one-paragraph refusal (exit 1) naming the missing folders and the extract to run.
 *
 * ```ts
 * const days = await stagedDayFor(config, '2024-01-15', ['source:csv'])
 * ```
 */
export async function stagedDayFor(config: StageRunConfig, date: string, select: readonly string[] = []): Promise<StagedSourceDay[]> {
  const stage = requireStage(config, 'load')
  const names = Object.entries(config.sources).filter(([, source]) => !isDocumentSourceKind(source.kind)).map(([name]) => name)
  const selectors = parseStageSelectors(select, names)
  const wanted = await resolveStagedTables(stage.dir, date, selectedSources(selectors, names), selectors)
  return checkStagedDay(stage.dir, date, wanted)
}

/**
 * `pnpm elt load --date D`: checks the day is completely extracted (else refuses before any
 * connection, nothing written), then loads each source's day, read back by the stage reader,
 * through the shared writer (`loadSources`: shadow, COPY FROM, indexes, ANALYZE, swap,
 * `_elt.replications`/`_elt.table_loads`), every table again (no resume: a day is loaded whole).
 * The source database is never contacted.
 *
 * ```ts
 * const summary = await load({ config, destination, date: '2024-01-15', runId })
 * // summary.tables → [{ source: 'public.films', target: 'raw.films', sourceName: 'postgres', kind: 'stage', rows: 118, … }]
 * ```
 */
export async function load(options: LoadOptions): Promise<LoadSummary> {
  const stage = requireStage(options.config, 'load')
  const days = await stagedDayFor(options.config, options.date, options.select)
  const summary = await loadSources({
    sources: days.map((day) => ({
      name: day.source,
      reader: stageReader,
      config: { stageDir: stage.dir, day },
      targetSchema: options.config.sources[day.source]!.targetSchema,
    })),
    destination: options.destination,
    fresh: true,
    runId: options.runId,
    ...(options.jobs !== undefined ? { jobs: options.jobs } : options.config.replicate?.jobs !== undefined ? { jobs: options.config.replicate.jobs } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.connectWaitSeconds !== undefined ? { connectWaitSeconds: options.connectWaitSeconds } : {}),
    ...(options.stallSeconds !== undefined ? { stallSeconds: options.stallSeconds } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.swapLockWait ? { swapLockWait: options.swapLockWait } : {}),
  })
  return { ...summary, date: options.date }
}
