import { defaultRetryPolicy, silentLogger, type Logger, type RetryPolicy } from '@elt/core'
import type { ReaderSession } from '../sources/source-reader.ts'
import { checkStagedDay, type StagedSourceDay } from './check-staged-day.ts'
import { resolveStagedTables } from './resolve-staged-tables.ts'
import { requireStage, type StageRunConfig } from './stage-config.ts'
import { stageReader } from './stage-reader.ts'
import { parseStageSelectors, selectedSources } from './stage-selection.ts'

/** A source's staged day opened for the writer. */
export interface StagedSession {
  /** The source's name in the config. */
  name: string
  targetSchema: string
  session: ReaderSession
}

/** One table the writer loaded. */
export interface LoadedTable {
  source: string
  /** `public.films` (the source's name of the table), `ticket_sales`. */
  table: string
  target: string
  rows: number
  bytes: number
  seconds: number
}

/**
 * The shared writer (`write/`): loads every table of the sessions into its target table
 * (shadow, COPY FROM, indexes, ANALYZE, swap, `_elt.table_loads`), as for `replicate`.
 */
export type StageWriter = (input: {
  sessions: StagedSession[]
  runId: string
  jobs?: number
  retry: RetryPolicy
  logger: Logger
  signal?: AbortSignal
}) => Promise<{ tables: LoadedTable[] }>

export interface LoadOptions {
  config: StageRunConfig
  date: string
  select?: readonly string[]
  runId: string
  write: StageWriter
  jobs?: number
  retry?: RetryPolicy
  logger?: Logger
  signal?: AbortSignal
}

export interface LoadSummary {
  runId: string
  status: 'success'
  date: string
  seconds: number
  tables: LoadedTable[]
}

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
  const names = Object.keys(config.sources)
  const selectors = parseStageSelectors(select, names)
  const wanted = await resolveStagedTables(stage.dir, date, selectedSources(selectors, names), selectors)
  return checkStagedDay(stage.dir, date, wanted)
}

/**
 * `pnpm elt load --date D`: checks the day is completely extracted (else refuses, nothing
 * written), then hands each source's day, read back by the stage reader, to the shared writer.
 * The source database is never contacted.
 *
 * ```ts
 * const summary = await load({ config, date: '2024-01-15', runId, write: loadSources })
 * // summary.tables → [{ source: 'postgres', table: 'public.films', target: 'raw.films', rows: 118, … }]
 * ```
 */
export async function load(options: LoadOptions): Promise<LoadSummary> {
  const started = performance.now()
  const stage = requireStage(options.config, 'load')
  const logger = options.logger ?? silentLogger
  const retry = options.retry ?? defaultRetryPolicy
  const days = await stagedDayFor(options.config, options.date, options.select)
  const sessions: StagedSession[] = []
  try {
    for (const day of days) {
      const targetSchema = options.config.sources[day.source]!.targetSchema
      const session = await stageReader.open({ stageDir: stage.dir, day }, { sourceName: day.source, targetSchema, connectWaitSeconds: 0, retry, logger, signal: options.signal })
      sessions.push({ name: day.source, targetSchema, session })
    }
    const { tables } = await options.write({ sessions, runId: options.runId, jobs: options.jobs, retry, logger, signal: options.signal })
    return { runId: options.runId, status: 'success', date: options.date, seconds: Math.round(performance.now() - started) / 1000, tables }
  } finally {
    for (const s of sessions) await s.session.close().catch(() => {})
  }
}
