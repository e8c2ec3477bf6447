import { connectClient, describeError, ExitCode, finishRun, startRun } from '@elt/core'
import type { Command } from '../command.ts'
import { renderReplicationSummary } from '../output/replication-summary.ts'
import { buildOptions, replicationOptions, selectionOptions, wholeNumberOption } from '../options.ts'
import { stageOptions } from './extract.ts'

/**
 * `pnpm elt run`: the whole job as one recorded run — replicate the source into `raw`,
 * build the models (each model's data tests right after it builds; a failing error-severity
 * test skips its descendants), then the tests of the sources. Exit 1 if any step failed.
 */
export const runCommand: Command = {
  name: 'run',
  summary: 'The whole job: replicate the source, build the models, run the data tests (one recorded run).',
  args: '[selector…]',
  options: {
    ...replicationOptions,
    ...selectionOptions,
    ...buildOptions,
    date: { ...stageOptions.date!, description: 'extract that day to the stage and load it from there (extract → load → build → test) instead of replicating' },
  },
  async run(context, parsed) {
    // Loaded on use, so `elt --help` and the other commands start fast.
    const { overallStatus } = await import('@elt/runner')
    const { buildTask, lockBuildTarget, planModels, renderBuildSummary } = await import('../tasks/build-task.ts')
    const { replicateTask } = await import('../tasks/replicate-task.ts')
    const { dataTestsForBuild, renderTestReport, testsJson } = await import('../tasks/test-task.ts')
    const jobs = wholeNumberOption(parsed.values.jobs, 'jobs', 1)
    // --date: the staged path (checked first: a bad date or no stage is exit 2 before anything runs)
    const staged = parsed.values.date === undefined ? undefined : await import('../tasks/run-day-task.ts')
    const date = staged?.stageDayOf(context, parsed.values.date)
    const threads = wholeNumberOption(parsed.values.threads, 'threads', 1) ?? 4
    // Plan first: a model cycle or an undeclared dependency fails before anything is copied.
    let plan = await planModels(context, parsed)
    const databases = await context.databases()
    const state = await connectClient(databases.destination, { waitSeconds: context.env.connectWaitSeconds, logger: context.logger })
    let runId: string | undefined
    try {
      // one writer per target schema for the whole run (raw has the replication's own lock)
      await lockBuildTarget(context, state, plan, parsed.values.wait === true)
      runId = await startRun(state, { command: 'run', target: plan.target.name })
      let tables: object[]
      if (staged && date !== undefined) {
        tables = await staged.extractAndLoad(context, { date, jobs, runId })
      } else {
        const replication = await replicateTask(context, { jobs, verify: parsed.values.verify === true, fresh: parsed.values.fresh === true, fullRefresh: parsed.values['full-refresh'] === true, runId })
        if (!context.json) context.logger.info(renderReplicationSummary(replication) + '\n')
        tables = replication.tables
      }
      // source_status:fresher+ selects downstream of what this run's replication changed: plan again now that it is recorded
      if ([parsed.values.select, parsed.values.exclude, parsed.positionals].flat().some((s) => typeof s === 'string' && s.includes('source_status:'))) plan = await planModels(context, parsed)
      const tests = await dataTestsForBuild(context, plan, runId)
      const build = await buildTask(
        context,
        { plan, threads, fullRefresh: parsed.values['full-refresh'] === true, afterBuild: tests.hook.afterBuild, extraNodes: tests.manifestNodes, command: 'run' },
        runId,
      )
      const testResults = await tests.finish()
      const testRun = { runId, results: testResults, status: overallStatus(testResults) }
      const status = build.status === 'success' && testRun.status !== 'fail' ? 'success' : build.status === 'cancelled' ? 'cancelled' : 'error'
      const summary = { runId, status, tables, models: build.models, tests: testsJson(testRun).tests }
      await finishRun(state, runId, { status, summary: { ...summary, tests: summary.tests.length } })
      context.output({
        json: summary,
        text: [renderBuildSummary(build), '', renderTestReport(testRun), '', `Run ${runId}: ${status}.`].join('\n'),
      })
      return status === 'success' ? ExitCode.success : ExitCode.failure
    } catch (error) {
      if (runId) await finishRun(state, runId, { status: context.signal.aborted ? 'cancelled' : 'error', message: describeError(error) }).catch(() => {})
      if (context.json) context.output({ json: { runId: runId ?? null, status: 'error', error: describeError(error) }, text: '' })
      throw error
    } finally {
      await state.end().catch(() => {})
    }
  },
}
