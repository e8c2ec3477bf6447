import { EltError, ExitCode } from '@elt/core'
import type { Command, OptionSpec } from '../command.ts'
import { replicationOptions, waitOption, wholeNumberOption } from '../options.ts'
import { renderReplicationSummary } from '../output/replication-summary.ts'
import { cdcTablesBySource, selectedCdcSources } from '../tasks/cdc-tables.ts'

/** `--select` / `--exclude` of `replicate`: configured sources and their tables. */
const sourceSelectionOptions: Record<string, OptionSpec> = {
  select: { type: 'string', short: 's', multiple: true, valueName: 'selector', description: 'sources or tables to load: source:<name> or source:<name>.<table>, globs allowed (repeatable; default: every source)' },
  exclude: { type: 'string', multiple: true, valueName: 'selector', description: 'sources or tables to leave out (same syntax)' },
  follow: { type: 'boolean', description: "keep streaming the changes of tables with strategy 'cdc' (progress and lag live) until Ctrl-C / SIGTERM, which stop after the transaction in flight" },
  'full-refresh': { type: 'boolean', description: 'copy the selected tables whole again, whatever their strategy (replicate.tables), and start their cursor marks over' },
}

/** A repeatable option's values as a list. */
const values = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : typeof value === 'string' ? [value] : [])

/** `pnpm elt replicate [--select source:<name>[.<table>]] [--exclude …] [--full-refresh] [--jobs N] [--verify] [--fresh] [--wait] [--json]`: every configured source → its target tables. */
export const replicateCommand: Command = {
  name: 'replicate',
  summary: 'Load every configured source (PostgreSQL tables, CSV files) into its target tables (one snapshot per source, in parallel, swapped in atomically).',
  options: { ...replicationOptions, ...sourceSelectionOptions, ...waitOption },
  async run(context, parsed) {
    if (parsed.positionals.length > 0) {
      throw new EltError(`\`pnpm elt replicate\` takes no arguments, got "${parsed.positionals.join(' ')}".`, {
        hint: 'Choose sources and tables with --select source:<name>[.<table>].',
        exitCode: ExitCode.usage,
      })
    }
    // Loaded on use, so `elt --help` and the other commands start fast.
    const { replicateTask } = await import('../tasks/replicate-task.ts')
    const follow = parsed.values.follow === true
    if (follow && (await selectedCdcSources(context.config.sources, values(parsed.values.select), values(parsed.values.exclude))).length === 0) {
      const cdc = cdcTablesBySource(context.config.sources).flatMap((p) => p.tables.map((t) => `source:${p.sourceName}.${t}`))
      throw new EltError(`--follow streams the tables with strategy 'cdc', and ${cdc.length === 0 ? 'the config has none' : '--select/--exclude leave none of them'}.`, {
        hint: cdc.length === 0 ? "Give tables strategy 'cdc' in elt.config.ts: replicate: { tables: { 'public.accounts': { strategy: 'cdc' } } }." : `The cdc tables: ${cdc.join(', ')}.`,
        exitCode: ExitCode.usage,
      })
    }
    const jobs = wholeNumberOption(parsed.values.jobs, 'jobs', 1)
    const { recordRun } = await import('../tasks/record-run.ts')
    const { pipelineSchema } = await import('../tasks/resolve-target.ts')
    // one writer per pipeline: a build or another replicate holding it → exit 1 naming it, or --wait
    const locks = { schemas: [pipelineSchema(context)], wait: parsed.values.wait === true }
    const summary = await recordRun(
      context,
      'replicate',
      { tables: [] },
      (runId, releaseLocks) =>
        replicateTask(context, {
          jobs,
          verify: parsed.values.verify === true,
          fresh: parsed.values.fresh === true,
          fullRefresh: parsed.values['full-refresh'] === true,
          runId,
          select: values(parsed.values.select),
          exclude: values(parsed.values.exclude),
          follow,
          beforeFollow: releaseLocks,
        }),
      locks,
    )
    context.output({ json: summary, text: renderReplicationSummary(summary) })
    return ExitCode.success
  },
}
