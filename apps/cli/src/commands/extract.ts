import { EltError, ExitCode } from '@elt/core'
import type { Command, OptionSpec, ParsedArgs } from '../command.ts'
import type { CommandContext } from '../context.ts'
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

/** What a stage command runs with: the day, the selectors, the jobs, and the pipeline's write lock. */
export interface StageRunInput {
  date: string
  select: string[]
  jobs: number | undefined
  /** One writer per pipeline: another writing run → exit 1 naming it, or wait for it with `--wait`. */
  locks: { schemas: string[]; wait: boolean }
}

/**
 * The parsed options of `extract` or `load`: a stray argument refused (exit 2), `--jobs`, the day
 * (`--date`, default today in the config's timezone; the stage must be configured), `--select`,
 * and the lock on the pipeline's schema (`--wait`).
 *
 * ```ts
 * await stageRunInput(context, parsed, 'load')
 * // { date: '2024-05-02', select: ['source:sales'], jobs: 4, locks: { schemas: ['analytics'], wait: false } }
 * ```
 */
export async function stageRunInput(context: CommandContext, parsed: ParsedArgs, command: 'extract' | 'load'): Promise<StageRunInput> {
  noArguments(parsed, command)
  const { stageDay } = await import('../tasks/extract-task.ts')
  const { pipelineSchema } = await import('../tasks/resolve-target.ts')
  const jobs = wholeNumberOption(parsed.values.jobs, 'jobs', 1)
  const date = stageDay(context, parsed.values.date, command)
  const select = stageSelectValues(parsed.values.select)
  return { date, select, jobs, locks: { schemas: [pipelineSchema(context)], wait: parsed.values.wait === true } }
}

/** `pnpm elt extract [--date D] [--select source:x] [--jobs N] [--wait]`: every selected source's tables → `<stage.dir>/<source>/<table>/<D>/`. */
export const extractCommand: Command = {
  name: 'extract',
  summary: "Write the sources' tables to the stage folder of a day (<stage.dir>/<source>/<table>/<date>/, made visible when complete).",
  options: { ...stageOptions, ...waitOption },
  async run(context, parsed) {
    const { date, select, jobs, locks } = await stageRunInput(context, parsed, 'extract')
    const { extractTask, renderExtractSummary } = await import('../tasks/extract-task.ts')
    const { recordRun } = await import('../tasks/record-run.ts')
    const summary = await recordRun(context, 'extract', { date, tables: [] }, (runId) => extractTask(context, { date, select, jobs, runId }), locks)
    context.output({ json: summary, text: renderExtractSummary(summary) })
    return ExitCode.success
  },
}
