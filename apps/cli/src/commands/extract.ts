import { EltError, ExitCode } from '@elt/core'
import type { Command, OptionSpec, ParsedArgs } from '../command.ts'
import { waitOption, wholeNumberOption } from '../options.ts'

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

/** `extract` and `load` take options only: a stray argument is a usage error (exit 2). */
export function noArguments(parsed: ParsedArgs, command: 'extract' | 'load'): void {
  if (parsed.positionals.length === 0) return
  throw new EltError(`\`pnpm elt ${command}\` takes no arguments, got "${parsed.positionals.join(' ')}".`, {
    hint: 'Choose sources and tables with --select source:<name>[.<table>].',
    exitCode: ExitCode.usage,
  })
}

/** `pnpm elt extract [--date D] [--select source:x] [--jobs N] [--wait]`: every selected source's tables → `<stage.dir>/<source>/<table>/<D>/`. */
export const extractCommand: Command = {
  name: 'extract',
  summary: "Write the sources' tables to the stage folder of a day (<stage.dir>/<source>/<table>/<date>/, made visible when complete).",
  options: { ...stageOptions, ...waitOption },
  async run(context, parsed) {
    noArguments(parsed, 'extract')
    const { extractTask, renderExtractSummary, stageDay } = await import('../tasks/extract-task.ts')
    const jobs = wholeNumberOption(parsed.values.jobs, 'jobs', 1)
    const date = stageDay(context, parsed.values.date, 'extract')
    const { recordRun } = await import('../tasks/record-run.ts')
    const select = stageSelectValues(parsed.values.select)
    const { pipelineSchema } = await import('../tasks/resolve-target.ts')
    // one writer per pipeline: another writing run → exit 1 naming it, or --wait
    const locks = { schemas: [pipelineSchema(context)], wait: parsed.values.wait === true }
    const summary = await recordRun(context, 'extract', { date, tables: [] }, (runId) => extractTask(context, { date, select, jobs, runId }), locks)
    context.output({ json: summary, text: renderExtractSummary(summary) })
    return ExitCode.success
  },
}
