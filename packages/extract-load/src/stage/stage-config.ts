import { EltError, ExitCode, type DatabaseTarget, type Logger, type RetryPolicy } from '@elt/core'
import type { SourceReader } from '../sources/source-reader.ts'

/** The parts of the validated config (`@elt/config`'s `ResolvedConfig`) that `extract` and `load` read. */
export interface StageRunConfig {
  sources: Record<string, StageSourceConfig>
  stage?: { dir: string; keepDays?: number; compression: 'none' | 'gzip' }
  timezone: string
  replicate?: { jobs?: number }
}

/** A configured source: its `kind` picks the reader; `url` (postgres) its database when set. */
export interface StageSourceConfig {
  kind: string
  targetSchema: string
  url?: string
}

/** What every stage command gets besides the config. */
export interface StageRunContext {
  /** The source (a postgres source without `url`) and destination databases. */
  databases: { source: DatabaseTarget; destination: DatabaseTarget }
  /** Readers by source kind (`postgres`, `csv`). */
  readers: Record<string, SourceReader<StageSourceConfig>>
  runId: string
  jobs?: number
  retry?: RetryPolicy
  connectWaitSeconds?: number
  logger?: Logger
  signal?: AbortSignal
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
export function sourceDatabase(name: string, source: StageSourceConfig, databases: StageRunContext['databases']): DatabaseTarget | undefined {
  if (source.kind !== 'postgres') return undefined
  return source.url ? { label: `source ${name}`, url: source.url, origin: `sources.${name}.url in the config` } : databases.source
}
