import { connectClient, describeError, ExitCode, finishRun, startRun } from '@elt/core'
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
    const { buildTask, lockBuildTarget, planModels, renderBuildSummary } = await import('../tasks/build-task.ts')
    const { dataTestsForBuild } = await import('../tasks/test-task.ts')
    const threads = wholeNumberOption(parsed.values.threads, 'threads', 1) ?? 4
    const plan = await planModels(context, parsed)
    const databases = await context.databases()
    const state = await connectClient(databases.destination, { waitSeconds: context.env.connectWaitSeconds, logger: context.logger })
    try {
      // one writer per target schema for the whole build (the lock ends with this session)
      await lockBuildTarget(context, state, plan, parsed.values.wait === true).catch((error: unknown) => {
        if (context.json) context.output({ json: { runId: null, status: 'error', target: plan.target, models: [], error: describeError(error) }, text: '' })
        throw error
      })
      const runId = await startRun(state, { command: 'build', target: plan.target.name })
      try {
        // each model's data tests run right after it builds; a failing error-severity test skips its descendants
        const dataTests = await dataTestsForBuild(context, plan, runId)
        const result = await buildTask(
          context,
          { plan, threads, fullRefresh: parsed.values['full-refresh'] === true, afterBuild: dataTests.hook.afterBuild, extraNodes: dataTests.manifestNodes },
          runId,
        )
        const testResults = result.status === 'cancelled' ? dataTests.hook.results : await dataTests.finish()
        const status = result.status === 'success' && overallStatus(testResults) === 'fail' ? 'error' : result.status
        const tests = testResults.map((t) => ({ id: t.id, type: t.type, model: t.model, column: t.column, severity: t.severity, status: t.status, failures: t.failures, seconds: t.seconds }))
        const summary = { runId, status, target: result.target, models: result.models, tests }
        const failedModels = result.models.filter((m) => m.status === 'error').length
        const failedTests = testResults.filter((t) => t.status === 'fail' || t.status === 'error').length
        await finishRun(state, runId, {
          status,
          summary,
          ...(status === 'success' ? {} : { message: `${failedModels} model(s) failed, ${failedTests} test(s) failed or errored` }),
        })
        const testLine = tests.length ? `\nTests: ${tests.filter((t) => t.status === 'pass').length} passed, ${tests.filter((t) => t.status === 'warn').length} warned, ${failedTests} failed.` : ''
        context.output({ json: summary, text: renderBuildSummary(result) + testLine })
        return status === 'success' ? ExitCode.success : ExitCode.failure
      } catch (error) {
        await finishRun(state, runId, { status: context.signal.aborted ? 'cancelled' : 'error', message: describeError(error) }).catch(() => {})
        if (context.json) context.output({ json: { runId, status: 'error', target: plan.target, models: [], error: describeError(error) }, text: '' })
        throw error
      }
    } finally {
      await state.end().catch(() => {})
    }
  },
}
