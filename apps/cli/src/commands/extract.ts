import { EltError, ExitCode, connectClient, describeError, finishRun, startRun } from '@elt/core'
import type { Command, OptionSpec } from '../command.ts'
import { wholeNumberOption } from '../options.ts'

/** `--date`, `--select`, `--jobs`: the options of the stage commands (`extract`, `load`). */
export const stageOptions: Record<string, OptionSpec> = {
  date: { type: 'string', short: 'd', valueName: 'YYYY-MM-DD', description: 'the day (default: today in the config\'s timezone)' },
  select: { type: 'string', short: 's', multiple: true, valueName: 'selector', description: 'sources or tables: source:<name> or source:<name>.<table> (repeatable; default: every source)' },
  jobs: { type: 'string', short: 'j', valueName: 'n', description: 'tables in parallel (default: replicate.jobs of the config, else the number of cores)' },
}

/** The `--select` values of a stage command as a list. */
export function stageSelectValues(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : typeof value === 'string' ? [value] : []
}

/** `pnpm elt extract [--date D] [--select source:x] [--jobs N]`: every selected source's tables → `<stage.dir>/<source>/<table>/<D>/`. */
export const extractCommand: Command = {
  name: 'extract',
  summary: "Write the sources' tables to the stage folder of a day (<stage.dir>/<source>/<table>/<date>/, made visible when complete).",
  options: stageOptions,
  async run(context, parsed) {
    if (parsed.positionals.length > 0) {
      throw new EltError(`\`pnpm elt extract\` takes no arguments, got "${parsed.positionals.join(' ')}".`, {
        hint: 'Choose sources and tables with --select source:<name>[.<table>].',
        exitCode: ExitCode.usage,
      })
    }
    const { extractTask, renderExtractSummary, stageDay } = await import('../tasks/extract-task.ts')
    const jobs = wholeNumberOption(parsed.values.jobs, 'jobs', 1)
    const date = stageDay(context, parsed.values.date, 'extract')
    let state: Awaited<ReturnType<typeof connectClient>> | undefined
    let runId: string | undefined
    try {
      const databases = await context.databases()
      state = await connectClient(databases.destination, { waitSeconds: context.env.connectWaitSeconds, logger: context.logger })
      runId = await startRun(state, { command: 'extract' })
      const summary = await extractTask(context, { date, select: stageSelectValues(parsed.values.select), jobs, runId })
      await finishRun(state, runId, { status: 'success', summary })
      context.output({ json: summary, text: renderExtractSummary(summary) })
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
