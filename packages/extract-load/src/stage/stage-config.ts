import { EltError, ExitCode, type DatabaseTarget, type Logger, type RetryPolicy } from '@elt/core'

/** The parts of the validated config (`@elt/config`'s `ResolvedConfig`) that `extract` and `load` read. */
export interface StageRunConfig {
  sources: Record<string, StageSourceConfig>
  stage?: { dir: string; keepDays?: number; compression: 'none' | 'gzip' }
  timezone: string
  replicate?: { jobs?: number }
}

/** What `extract` and `load` of one staged day both take: the day, the selection and how to run. */
export interface StageDayOptions {
  config: StageRunConfig
  /** `YYYY-MM-DD` (checked by `stageDate`). */
  date: string
  /** `--select` values: `source:<name>[.<table>]`. */
  select?: readonly string[]
  runId: string
  jobs?: number
  retry?: RetryPolicy
  connectWaitSeconds?: number
  /** Seconds a table may move no data before its sessions are looked at (default 60; see `watchForStall`). */
  stallSeconds?: number
  logger?: Logger
  signal?: AbortSignal
}

/** A configured source: its `kind` picks the reader; `url` (postgres) its database when set. */
export interface StageSourceConfig {
  kind: string
  targetSchema: string
  url?: string
}

/** The stage settings, or a usage error (exit 2) saying how to add them. */
export function requireStage(config: StageRunConfig, command: 'extract' | 'load'): NonNullable<StageRunConfig['stage']> {
  if (config.stage) return config.stage
  throw new EltError(`\`pnpm elt ${command}\` needs a stage folder, and the config has no "stage" setting.`, {
    hint: "Add `stage: { dir: 'data/stage' }` to elt.config.ts (the folder is relative to the config file).",
    exitCode: ExitCode.usage,
  })
}

/** A postgres source's database: its own `url`, else the command's source database (SOURCE_DATABASE_URL or the embedded default). */
export function sourceDatabase(name: string, source: StageSourceConfig, databases: { source: DatabaseTarget }): DatabaseTarget | undefined {
  if (source.kind !== 'postgres') return undefined
  return source.url ? { label: `source ${name}`, url: source.url, origin: `sources.${name}.url in the config` } : databases.source
}
