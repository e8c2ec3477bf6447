import type { Command } from '../command.ts'
import { buildOptions, selectionOptions, wholeNumberOption } from '../options.ts'

/** `pnpm elt build [--select …] [--exclude …] [--threads N] [--target dev|prod] [--full-refresh] [--wait] [--json]` */
export const buildCommand: Command = {
  name: 'build',
  summary: 'Build the models (views, tables, incremental) into the target schema, in dependency order.',
  args: '[selector…]',
  options: {
    ...selectionOptions,
    ...buildOptions,
  },
  async run(context, parsed) {
    // Loaded on use, so `elt --help` and the other commands start fast.
    const { overallStatus } = await import('@elt/runner')
    const { buildTask, planModels, renderBuildSummary } = await import('../tasks/build-task.ts')
    const { dataTestsForBuild } = await import('../tasks/test-task.ts')
    const { recordedRun } = await import('../tasks/record-run.ts')
    const threads = wholeNumberOption(parsed.values.threads, 'threads', 1) ?? 4
    const plan = await planModels(context, parsed)
    const { result, exitCode } = await recordedRun(
      context,
      {
        command: 'build',
        target: plan.target.name,
        // one writer per target schema for the whole build (the prod target's is the pipeline's)
        locks: { schemas: [plan.target.schema], wait: parsed.values.wait === true },
        errorJson: (runId, error) => ({ runId, status: 'error', target: plan.target, models: [], error }),
      },
      async (runId) => {
        // each model's data tests run right after it builds; a failing error-severity test skips its descendants
        const dataTests = await dataTestsForBuild(context, plan, runId)
        const build = await buildTask(
          context,
          { plan, threads, fullRefresh: parsed.values['full-refresh'] === true, afterBuild: dataTests.hook.afterBuild, extraNodes: dataTests.manifestNodes },
          runId,
        )
        const testResults = build.status === 'cancelled' ? dataTests.hook.results : await dataTests.finish()
        const status = build.status === 'success' && overallStatus(testResults) === 'fail' ? 'error' : build.status
        const tests = testResults.map((t) => ({ id: t.id, type: t.type, model: t.model, column: t.column, severity: t.severity, status: t.status, failures: t.failures, seconds: t.seconds }))
        const failedModels = build.models.filter((m) => m.status === 'error').length
        const failedTests = testResults.filter((t) => t.status === 'fail' || t.status === 'error').length
        return { build, summary: { runId, status, target: build.target, models: build.models, tests }, failedModels, failedTests }
      },
      // models that failed: still a recorded run, status error, exit 1
      ({ summary, failedModels, failedTests }) => ({
        status: summary.status,
        summary,
        ...(summary.status === 'success' ? {} : { message: `${failedModels} model(s) failed, ${failedTests} test(s) failed or errored` }),
      }),
    )
    const { build, summary, failedTests } = result
    const testLine = summary.tests.length ? `\nTests: ${summary.tests.filter((t) => t.status === 'pass').length} passed, ${summary.tests.filter((t) => t.status === 'warn').length} warned, ${failedTests} failed.` : ''
    context.output({ json: summary, text: renderBuildSummary(build) + testLine })
    return exitCode
  },
}
