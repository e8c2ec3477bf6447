import { partialResultOf } from '@elt/core'
import type { Command } from '../command.ts'
import type { RunOutcome } from '../tasks/record-run.ts'
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
    const { buildTask, planModels, renderBuildSummary } = await import('../tasks/build-task.ts')
    const { replicateTask } = await import('../tasks/replicate-task.ts')
    const { dataTestsForBuild, renderTestReport, testsJson } = await import('../tasks/test-task.ts')
    const jobs = wholeNumberOption(parsed.values.jobs, 'jobs', 1)
    // --date: the staged path (checked first: a bad date or no stage is exit 2 before anything runs)
    const staged = parsed.values.date === undefined ? undefined : await import('../tasks/run-day-task.ts')
    const date = staged?.stageDayOf(context, parsed.values.date)
    const threads = wholeNumberOption(parsed.values.threads, 'threads', 1) ?? 4
    // Plan first: a model cycle or an undeclared dependency fails before anything is copied.
    let plan = await planModels(context, parsed)
    const { recordedRun } = await import('../tasks/record-run.ts')
    const { pipelineSchema } = await import('../tasks/resolve-target.ts')
    const { result, exitCode } = await recordedRun(
      context,
      {
        command: 'run',
        target: plan.target.name,
        // a replication that failed: the tables (documents) it loaded beside the failure; nothing was built
        errorJson: (runId, error, cause) => {
          const { tables = [], documents } = (partialResultOf(cause) ?? {}) as { tables?: unknown[]; documents?: unknown[] }
          return { runId, status: 'error', tables, ...(documents ? { documents } : {}), models: [], tests: [], error }
        },
        // one writer per pipeline (it replicates) and per target schema, for the whole run
        locks: { schemas: [pipelineSchema(context), plan.target.schema], wait: parsed.values.wait === true },
      },
      async (runId) => {
        let tables: object[]
        let documents: object[] | undefined
        if (staged && date !== undefined) {
          tables = await staged.extractAndLoad(context, { date, jobs, runId })
        } else {
          const replication = await replicateTask(context, { jobs, verify: parsed.values.verify === true, fresh: parsed.values.fresh === true, fullRefresh: parsed.values['full-refresh'] === true, runId })
          if (!context.json) context.logger.info(renderReplicationSummary(replication) + '\n')
          tables = replication.tables
          documents = replication.documents
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
        const status: RunOutcome['status'] = build.status === 'success' && testRun.status !== 'fail' ? 'success' : build.status === 'cancelled' ? 'cancelled' : 'error'
        const summary = { runId, status, tables, ...(documents ? { documents } : {}), models: build.models, tests: testsJson(testRun).tests }
        return { build, testRun, summary }
      },
      ({ summary }) => ({ status: summary.status, summary: { ...summary, tests: summary.tests.length } }),
    )
    const { build, testRun, summary } = result
    context.output({
      json: summary,
      text: [renderBuildSummary(build), '', renderTestReport(testRun), '', `Run ${summary.runId}: ${summary.status}.`].join('\n'),
    })
    return exitCode
  },
}
