import type pg from 'pg'
import { quoteIdent, type DatabaseTarget } from '@elt/core'
import type { ProjectPlan } from '../compile/plan-project.ts'
import { buildManifest, withColumnTypes, type ExtraManifestNode, type Manifest } from '../artifacts/manifest.ts'
import { columnTypes } from '../materialize/relation-catalog.ts'
import { buildRunResults, type RunResults } from '../artifacts/run-results.ts'
import { writeArtifact } from '../artifacts/write-artifacts.ts'
import { migrateRunner, recordManifest, recordNodeResult } from '../record/model-results.ts'
import type { NodeResult } from '../record/node-result.ts'
import { executeModels, type AfterBuildHook, type ExecutionEvent } from './execute-models.ts'

export interface BuildProjectOptions {
  plan: ProjectPlan
  runId: string
  /** Command name recorded in run_results.json (`build`, `run`). */
  command?: string
  /** Destination connection for bookkeeping (`_elt`); cancelling opens its own connection. */
  control: pg.ClientBase
  /** Opens a destination connection per worker. */
  connect: () => Promise<pg.Client>
  /** The database `connect` opens: with it, a build whose connection stops passing data is given up (see `executeModels`). */
  destination?: DatabaseTarget
  /** Seconds without a byte from the destination before a build's session is looked at (default 60). */
  stallSeconds?: number
  threads?: number
  fullRefresh?: boolean
  signal?: AbortSignal
  afterBuild?: AfterBuildHook
  onEvent?: (event: ExecutionEvent) => void | Promise<void>
  /** Extra manifest nodes (data tests). */
  extraNodes?: readonly ExtraManifestNode[]
  /** Where manifest.json and run_results.json go (e.g. `<project>/target`); omitted: not written. */
  artifactsDir?: string
}

export interface BuildProjectResult {
  status: 'success' | 'error' | 'cancelled'
  results: NodeResult[]
  /** Results added through `afterBuild` (data tests). */
  extraResults: NodeResult[]
  manifest: Manifest
  runResults: RunResults
}

/**
 * Builds the plan's selected models into `plan.target.schema`, records every result in
 * `_elt.model_results` as it happens, and writes `manifest.json` and `run_results.json`.
 *
 * ```sql
 * create schema if not exists "analytics";
 * -- then per model, e.g.: create or replace view "analytics"."stg_films" as select …
 * insert into _elt.model_results (run_id, node_id, …) values ($1, $2, …)
 * ```
 */
export async function buildProject(options: BuildProjectOptions): Promise<BuildProjectResult> {
  const { plan, control, runId } = options
  const startedAt = new Date()
  let manifest = buildManifest(plan.project, plan.graph, plan.compiled, plan.target, options.extraNodes, plan.sources, plan.lineage)
  if (options.artifactsDir) await writeArtifact(options.artifactsDir, 'manifest.json', manifest)
  await migrateRunner(control)
  await control.query(`create schema if not exists ${quoteIdent(plan.target.schema)}`)
  let recording: Promise<void> = Promise.resolve() // one insert at a time on the control connection
  let recordError: unknown
  const outcome = await executeModels({
    project: plan.project,
    graph: plan.graph,
    compiled: plan.compiled,
    selected: plan.selected,
    schema: plan.target.schema,
    connect: options.connect,
    ...(options.destination ? { destination: options.destination } : {}),
    ...(options.stallSeconds !== undefined ? { stallSeconds: options.stallSeconds } : {}),
    threads: options.threads ?? 4,
    fullRefresh: options.fullRefresh ?? false,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.afterBuild ? { afterBuild: options.afterBuild } : {}),
    onEvent: async (event) => {
      // queued on the control connection, awaited below: bookkeeping stays off the build's critical path
      if (event.type === 'done') {
        const result = event.result
        recording = recording.then(() => recordNodeResult(control, runId, plan.target.schema, result)).catch((error: unknown) => void (recordError ??= error))
      }
      await options.onEvent?.(event)
    },
  })
  await recording
  if (recordError !== undefined) throw recordError
  // the manifest again, now with every built relation's columns and types
  const relations = Object.values(manifest.nodes).flatMap((n) => (n.schema === null ? [] : [{ schema: n.schema, name: n.name }]))
  manifest = withColumnTypes(manifest, await columnTypes(control, relations))
  await recordManifest(control, runId, manifest)
  if (options.artifactsDir) await writeArtifact(options.artifactsDir, 'manifest.json', manifest)
  const status = outcome.cancelled ? 'cancelled' : outcome.results.some((r) => r.status !== 'success') ? 'error' : 'success'
  const runResults = buildRunResults({
    runId,
    command: options.command ?? 'build',
    target: plan.target,
    status,
    startedAt,
    finishedAt: new Date(),
    results: [...outcome.results, ...outcome.extraResults],
  })
  if (options.artifactsDir) await writeArtifact(options.artifactsDir, 'run_results.json', runResults)
  return { status, results: outcome.results, extraResults: outcome.extraResults, manifest, runResults }
}
