import path from 'node:path'
import { backendPid, cancelBackends, connectClient } from '@elt/core'
import {
  buildRunResults,
  compileProjectTests,
  createDataTestHook,
  loadCustomTests,
  runTests,
  selectTests,
  testManifestNodes,
  testNodeResults,
  writeArtifact,
  type CompiledTest,
  type DataTestHook,
  type ExtraManifestNode,
  type ProjectPlan,
  type TestResult,
  type TestRun,
} from '@elt/runner'
import type { ParsedArgs } from '../command.ts'
import { wholeNumberOption } from '../options.ts'
import type { CommandContext } from '../context.ts'
import { formatSeconds, renderTable } from '../output/format.ts'
import { createProgress } from '../output/progress.ts'
import { planModels, selectionFrom } from './build-task.ts'


/** Every test of the project, compiled for the target (selection is applied separately). */
export async function compileAllTests(context: CommandContext, plan: ProjectPlan, sampleSize?: number): Promise<CompiledTest[]> {
  return compileProjectTests(plan, await loadCustomTests(context.config.models.project), sampleSize === undefined ? {} : { sampleSize })
}

/** The project planned with every node (test selection has its own methods such as `test_type:`), and the selected tests. */
export async function selectProjectTests(context: CommandContext, parsed: ParsedArgs): Promise<{ plan: ProjectPlan; tests: CompiledTest[] }> {
  const plan = await planModels(context, { values: { target: parsed.values.target }, positionals: [] })
  const all = await compileAllTests(context, plan, wholeNumberOption(parsed.values['sample-size'], 'sample-size', 0))
  const selection = { ...selectionFrom(context, parsed), lineage: plan.lineage }
  return { plan, tests: selectTests(plan.graph, all, selection) }
}

const labels = { pass: 'PASS ', warn: 'WARN ', fail: 'FAIL ', error: 'ERROR' } as const

/** One line per test: `PASS  not_null_stg_films_film_id  0 failures  0.01s`. */
export function renderTestLine(result: TestResult): string {
  const count = result.failures === null ? '' : `${result.failures} ${result.failures === 1 ? 'failure' : 'failures'}`
  const note = result.status === 'error' || (result.message && result.status !== 'pass') ? `  ${result.message}` : ''
  return `${labels[result.status]} ${result.id}  ${count}  ${formatSeconds(result.seconds)}${note}`
}

/** The report: a table of every test, the counts, and the SQL reproducing each failing test's rows. */
export function renderTestReport(run: TestRun): string {
  const rows = run.results.map((r) => [labels[r.status].trim(), r.id, r.model, r.column ?? '', r.failures === null ? '' : String(r.failures), formatSeconds(r.seconds)])
  const count = (status: string) => run.results.filter((r) => r.status === status).length
  const failing = run.results.filter((r) => r.status !== 'pass')
  const details = failing.flatMap((r) => [
    '',
    `${labels[r.status].trim()} ${r.id} (severity ${r.severity})${r.message ? `: ${r.message}` : ''}`,
    ...(r.sampled > 0 ? [`  ${r.sampled} failing row(s) kept in _elt_audit.test_failures (test_id = '${r.id}')`] : []),
    `  reproduce: ${r.sql}`,
  ])
  const verdict = run.status === 'fail' ? 'Failed' : run.status === 'warn' ? 'Done with warnings' : 'Done'
  return [
    renderTable([['status', 'test', 'model', 'column', 'failures', 'time'], ...rows]),
    ...details,
    '',
    `${verdict}: ${count('pass')} passed, ${count('warn')} warned, ${count('fail')} failed, ${count('error')} errored (${run.results.length} tests).`,
  ].join('\n')
}

/** The `--json` document: `{ tests: [...], status }`. */
export function testsJson(run: TestRun): { tests: object[]; status: TestRun['status'] } {
  return {
    tests: run.results.map((r) => ({
      id: r.id,
      type: r.type,
      model: r.model,
      column: r.column,
      severity: r.severity,
      status: r.status,
      failures: r.failures,
      seconds: Math.round(r.seconds * 1000) / 1000,
    })),
    status: run.status,
  }
}

/**
 * Runs the selected tests on the destination under `runId` with a live line per test on stderr,
 * records results in `_elt.test_results` (samples in `_elt_audit`) and writes target/run_results.json.
 */
export async function testTask(context: CommandContext, plan: ProjectPlan, tests: readonly CompiledTest[], runId: string): Promise<TestRun> {
  const databases = await context.databases()
  const client = await connectClient(databases.destination, { waitSeconds: context.env.connectWaitSeconds, logger: context.logger, applicationName: 'elt test' })
  const progress = createProgress(context.io)
  const startedAt = new Date()
  let done = 0
  // Ctrl-C cancels the running test query too (runTests stops before the next one)
  const cancel = () => {
    const pid = backendPid(client)
    if (pid) void cancelBackends(() => connectClient(databases.destination, { waitSeconds: 1, applicationName: 'elt test' }), [pid])
  }
  context.signal.addEventListener('abort', cancel, { once: true })
  try {
    const run = await runTests(client, tests, {
      runId,
      signal: context.signal,
      destination: databases.destination,
      stallSeconds: context.env.stallSeconds,
      onResult: (result) => {
        done++
        progress.done(result.id, `${String(done).padStart(String(tests.length).length)}/${tests.length} ${renderTestLine(result)}`)
      },
    })
    const runResults = buildRunResults({
      runId,
      command: 'test',
      target: plan.target,
      status: run.status === 'fail' ? 'error' : 'success',
      startedAt,
      finishedAt: new Date(),
      results: testNodeResults(run.results),
    })
    await writeArtifact(path.join(context.projectDir, 'target'), 'run_results.json', runResults)
    return run
  } finally {
    context.signal.removeEventListener('abort', cancel)
    progress.stop()
    await client.end().catch(() => {})
  }
}

/**
 * What `build` and `run` need to run each model's tests right after it builds:
 * `buildTask(context, { plan, afterBuild: tests.hook.afterBuild, extraNodes: tests.manifestNodes }, runId)`,
 * then `await tests.finish()` for the tests of sources (and custom tests reading only sources).
 */
export async function dataTestsForBuild(
  context: CommandContext,
  plan: ProjectPlan,
  runId: string,
): Promise<{ hook: DataTestHook; manifestNodes: ExtraManifestNode[]; finish(): Promise<TestResult[]> }> {
  const all = await compileAllTests(context, plan)
  // dbt's "cautious" indirect selection: a test runs when one of its parents is selected and every
  // model it reads is built by this build (or ephemeral); sources are always there. Otherwise a
  // partial dev build would test a relation it never built.
  const selected = new Set(plan.selected)
  const available = (id: string) => {
    const model = plan.project.models.get(id)
    return model === undefined || selected.has(id) || model.materialized === 'ephemeral'
  }
  const tests = all.filter((t) => t.parents.some((p) => selected.has(p)) && t.parents.every(available))
  const progress = createProgress(context.io)
  const hook = createDataTestHook(tests, plan.graph, plan.selected, { runId, signal: context.signal, onResult: (r) => progress.log(`      TEST  ${renderTestLine(r)}`) })
  return {
    hook,
    manifestNodes: testManifestNodes(all),
    async finish() {
      const databases = await context.databases()
      const client = await connectClient(databases.destination, { waitSeconds: context.env.connectWaitSeconds, logger: context.logger })
      try {
        await hook.finish(client, { destination: databases.destination, stallSeconds: context.env.stallSeconds })
        return hook.results
      } finally {
        await client.end().catch(() => {})
      }
    },
  }
}
