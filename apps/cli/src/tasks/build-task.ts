import path from 'node:path'
import { connectClient, withWatchedClient } from '@elt/core'
import {
  buildProject,
  loadProject,
  planProject,
  type AfterBuildHook,
  type BuildTarget,
  type ExtraManifestNode,
  type NodeResult,
  type ProjectPlan,
  type SelectOptions,
} from '@elt/runner'
import type { ParsedArgs } from '../command.ts'
import { sourceLoadersOf } from '../config/source-loaders.ts'
import { sourceColumnsOf } from '../config/raw-columns.ts'
import { emitOpenLineage } from './emit-openlineage.ts'
import type { CommandContext } from '../context.ts'
import { formatSeconds, renderTable } from '../output/format.ts'
import { createProgress } from '../output/progress.ts'


/** Selection from `--select` (and positional selectors) and `--exclude`, with the config's sources (`source:<name>`). */
export function selectionFrom(context: CommandContext, parsed: ParsedArgs): SelectOptions {
  const list = (value: unknown) => (Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : [])
  return { select: [...list(parsed.values.select), ...parsed.positionals], exclude: list(parsed.values.exclude), sources: sourceLoadersOf(context.config, context.projectDir) }
}

import { resolveTarget } from './resolve-target.ts'

export { resolveTarget }

/** Loads the models project (`models.project` of the config, an absolute path once loaded) and plans it, with the source tables' column lists (codegen, document mappings) for column lineage. */
export async function planModels(context: CommandContext, parsed: ParsedArgs): Promise<ProjectPlan> {
  const project = await loadProject(context.config.models.project)
  const target = resolveTarget(context, parsed.values.target as string | undefined)
  const sourceColumns = await sourceColumnsOf(context.projectDir, context.config)
  const selection = selectionFrom(context, parsed)
  const changedSources = await changedSourcesFor(context, selection)
  return planProject(project, target, { ...selection, ...(sourceColumns ? { sourceColumns } : {}), ...(changedSources ? { changedSources } : {}) })
}

/**
 * For a `source_status:` selector (`--select source_status:fresher+`): the raw tables that received
 * changes in the latest successful replication, read from the destination's `_elt.table_changes`
 * (`run` plans again after its replication, so it is this run's). Undefined without such a selector.
 */
async function changedSourcesFor(context: CommandContext, selection: SelectOptions): Promise<ReadonlySet<string> | undefined> {
  if (![...(selection.select ?? []), ...(selection.exclude ?? [])].some((s) => /(^|[\s,@+])source_status:/.test(s))) return undefined
  const { changedTablesOfLatestRun } = await import('@elt/extract-load')
  const databases = await context.databases()
  const changed = await withWatchedClient(
    databases.destination,
    { waitSeconds: context.env.connectWaitSeconds, logger: context.logger, applicationName: 'elt build' },
    { what: 'reading the tables the latest replication changed', seconds: context.env.stallSeconds, hint: 'Nothing was built: run it again.' },
    (client) => changedTablesOfLatestRun(client),
  )
  return new Set(changed.tables)
}

export interface BuildTaskOptions {
  plan: ProjectPlan
  threads?: number
  fullRefresh?: boolean
  /** Data tests plug in here (see the runner's executor). */
  afterBuild?: AfterBuildHook
  extraNodes?: readonly ExtraManifestNode[]
  /** Command recorded in run_results.json (default `build`). */
  command?: string
}

/** One line of the `--json` summary's `models` list. */
export interface ModelSummary {
  name: string
  materialized: string | null
  status: NodeResult['status']
  rows: number | null
  seconds: number
  message?: string
}

export interface BuildTaskResult {
  status: 'success' | 'error' | 'cancelled'
  target: BuildTarget
  models: ModelSummary[]
  /** Everything else the run produced through `afterBuild` (data tests), as run_results lists it. */
  results: NodeResult[]
  artifacts: { manifest: string; runResults: string }
}

/**
 * Builds the planned models into the destination under `runId` (the caller starts and finishes
 * the run in `_elt.runs`), showing one progress line per model, and writes target/manifest.json
 * and target/run_results.json; sends OpenLineage events when `openlineage.url` is configured. Reused by `build` and `run`.
 */
export async function buildTask(context: CommandContext, options: BuildTaskOptions, runId: string): Promise<BuildTaskResult> {
  const databases = await context.databases()
  const connect = () => connectClient(databases.destination, { waitSeconds: context.env.connectWaitSeconds, logger: context.logger, applicationName: 'elt build' })
  const control = await connect()
  const progress = createProgress(context.io)
  const total = options.plan.selected.filter((id) => options.plan.project.models.has(id)).length
  let done = 0
  const artifactsDir = path.join(context.projectDir, 'target')
  try {
    const outcome = await buildProject({
      plan: options.plan,
      runId,
      command: options.command ?? 'build',
      control,
      connect,
      destination: databases.destination,
      stallSeconds: context.env.stallSeconds,
      threads: options.threads ?? 4,
      fullRefresh: options.fullRefresh ?? false,
      signal: context.signal,
      ...(options.afterBuild ? { afterBuild: options.afterBuild } : {}),
      ...(options.extraNodes ? { extraNodes: options.extraNodes } : {}),
      artifactsDir,
      onEvent: (event) => {
        if (event.type === 'start') {
          progress.start(event.id, `      START ${event.materialized.padEnd(11)} ${event.name}  [worker ${event.worker}]`)
          return
        }
        const r = event.result
        done++
        const counter = `${String(done).padStart(String(total).length)}/${total}`
        const label = r.status === 'success' ? 'OK   ' : r.status === 'error' ? 'ERROR' : 'SKIP '
        const rows = r.rowsAffected === null ? '' : `  ${r.rowsAffected} rows`
        const detail = r.status === 'success' ? `${rows}  ${formatSeconds(r.seconds)}` : `  ${r.message ?? ''}`
        progress.done(r.id, `${counter} ${label} ${(r.materialized ?? '').padEnd(11)} ${r.name}${detail}`)
      },
    })
    await emitOpenLineage(context, outcome.manifest, outcome.results)
    const models = outcome.results.map((r) => ({
      name: r.name,
      materialized: r.materialized,
      status: r.status,
      rows: r.rowsAffected,
      seconds: Math.round(r.seconds * 1000) / 1000,
      ...(r.message ? { message: r.message } : {}),
    }))
    return {
      status: outcome.status,
      target: options.plan.target,
      models,
      results: outcome.extraResults,
      artifacts: { manifest: path.join(artifactsDir, 'manifest.json'), runResults: path.join(artifactsDir, 'run_results.json') },
    }
  } finally {
    progress.stop()
    await control.end().catch(() => {})
  }
}

/** The human summary: one row per model, then the counts. */
export function renderBuildSummary(result: BuildTaskResult): string {
  const rows = result.models.map((m) => [m.name, m.materialized ?? '', m.status, m.rows === null ? '' : String(m.rows), formatSeconds(m.seconds)])
  const count = (status: string) => result.models.filter((m) => m.status === status).length
  return [
    renderTable([['model', 'materialized', 'status', 'rows', 'time'], ...rows]),
    '',
    `${result.status === 'success' ? 'Done' : result.status === 'cancelled' ? 'Cancelled' : 'Failed'}: ${count('success')} built, ${count('error')} failed, ${count('skipped')} skipped, into schema "${result.target.schema}" (${result.target.name}).`,
  ].join('\n')
}
