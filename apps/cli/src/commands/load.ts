import { EltError, ExitCode, connectClient, describeError, finishRun, startRun } from '@elt/core'
import type { Command } from '../command.ts'
import { wholeNumberOption } from '../options.ts'
import { stageOptions, stageSelectValues } from './extract.ts'

/**
 * `pnpm elt load [--date D] [--select source:x] [--jobs N]`: a day's staged tables → their target
 * tables (shadow and swap, rows and checksums checked), reading the stage only. A day that was
 * not completely extracted is refused before anything is written (exit 1).
 */
export const loadCommand: Command = {
  name: 'load',
  summary: "Load a day's staged tables into their target tables (the stage only, never the source; refuses a day not completely extracted).",
  options: stageOptions,
  async run(context, parsed) {
    if (parsed.positionals.length > 0) {
      throw new EltError(`\`pnpm elt load\` takes no arguments, got "${parsed.positionals.join(' ')}".`, {
        hint: 'Choose sources and tables with --select source:<name>[.<table>].',
        exitCode: ExitCode.usage,
      })
    }
    const { checkLoadDay, loadTask, renderLoadSummary } = await import('../tasks/load-task.ts')
    const { stageDay } = await import('../tasks/extract-task.ts')
    const jobs = wholeNumberOption(parsed.values.jobs, 'jobs', 1)
    const date = stageDay(context, parsed.values.date, 'load')
    const select = stageSelectValues(parsed.values.select)
    // refused before any connection: an incomplete day changes nothing in the destination
    await checkLoadDay(context, { date, select })
    let state: Awaited<ReturnType<typeof connectClient>> | undefined
    let runId: string | undefined
    try {
      const databases = await context.databases()
      state = await connectClient(databases.destination, { waitSeconds: context.env.connectWaitSeconds, logger: context.logger })
      runId = await startRun(state, { command: 'load' })
      const summary = await loadTask(context, { date, select, jobs, runId })
      await finishRun(state, runId, { status: 'success', summary })
      context.output({ json: summary, text: renderLoadSummary(summary) })
      return ExitCode.success
    } catch (error) {
      if (state && runId) await finishRun(state, runId, { status: context.signal.aborted ? 'cancelled' : 'error', message: describeError(error) }).catch(() => {})
      if (context.json) context.output({ json: { runId: runId ?? null, status: 'error', date, tables: [], error: describeError(error) }, text: '' })
      throw error
    } finally {
      await state?.end().catch(() => {})
    }
  },
}
