import { ExitCode } from '@elt/core'
import type { Command } from '../command.ts'
import { selectionOptions, sampleOption } from '../options.ts'

/**
 * `pnpm models test [--select …] [--exclude …] [--target dev|prod] [--sample-size n] [--json]`
 *
 * Runs the data tests of the selected nodes (dbt selection, plus `test_type:unique`, `test_name:…`,
 * `tag:x` on tests). Exit 1 when an error-severity test failed or any test errored; 0 with only warnings.
 */
export const testCommand: Command = {
  name: 'test',
  summary: 'Run the data tests of the selected models and sources; results kept in _elt.test_results.',
  args: '[selector…]',
  options: {
    ...selectionOptions,
    select: {
      ...selectionOptions.select!,
      description: `${selectionOptions.select!.description}; tests also by test_type:unique, test_name:…, or their id`,
    },
    ...sampleOption,
  },
  async run(context, parsed) {
    // Loaded on use, so `elt --help` and the other commands start fast.
    const { renderTestReport, selectProjectTests, testsJson, testTask } = await import('../tasks/test-task.ts')
    const { plan, tests } = await selectProjectTests(context, parsed)
    if (tests.length === 0) {
      context.output({ json: { tests: [], status: 'pass' }, text: 'No tests selected.' })
      return ExitCode.success
    }
    const { recordedRun } = await import('../tasks/record-run.ts')
    // reads only: no write lock
    const { result: run, exitCode } = await recordedRun(
      context,
      {
        command: 'test',
        target: plan.target.name,
        errorJson: (_runId, error) => ({ tests: [], status: 'error', error }),
      },
      (runId) => testTask(context, plan, tests, runId),
      (run) => {
        const failed = run.results.filter((r) => r.status === 'fail' || r.status === 'error').length
        return { status: run.status === 'fail' ? 'error' : 'success', summary: testsJson(run), ...(failed ? { message: `${failed} test(s) failed or errored` } : {}) }
      },
    )
    context.output({ json: testsJson(run), text: renderTestReport(run) })
    return exitCode
  },
}
