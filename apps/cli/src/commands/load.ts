import { ExitCode, describeError } from '@elt/core'
import type { Command } from '../command.ts'
import { waitOption } from '../options.ts'
import { stageOptions, stageRunInput } from './extract.ts'

/**
 * `pnpm elt load [--date D] [--select source:x] [--jobs N] [--wait]`: a day's staged tables → their target
 * tables (shadow and swap, rows and checksums checked), reading the stage only. A day that was
 * not completely extracted is refused before anything is written (exit 1).
 */
export const loadCommand: Command = {
  name: 'load',
  summary: "Load a day's staged tables into their target tables (the stage only, never the source; refuses a day not completely extracted).",
  options: { ...stageOptions, ...waitOption },
  async run(context, parsed) {
    const { date, select, jobs, locks } = await stageRunInput(context, parsed, 'load')
    const { checkLoadDay, loadTask, renderLoadSummary } = await import('../tasks/load-task.ts')
    // refused before any connection: an incomplete day changes nothing in the destination
    await checkLoadDay(context, { date, select }).catch((error: unknown) => {
      if (context.json) context.output({ json: { runId: null, status: 'error', date, tables: [], error: describeError(error) }, text: '' })
      throw error
    })
    const { recordRun } = await import('../tasks/record-run.ts')
    const summary = await recordRun(context, 'load', { date, tables: [] }, (runId) => loadTask(context, { date, select, jobs, runId }), locks)
    context.output({ json: summary, text: renderLoadSummary(summary) })
    return ExitCode.success
  },
}
