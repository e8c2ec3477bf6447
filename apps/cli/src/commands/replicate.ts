import { EltError, ExitCode, connectClient, describeError, finishRun, startRun } from '@elt/core'
import type { Command } from '../command.ts'
import { renderReplicationSummary } from '../output/replication-summary.ts'
import { replicateTask } from '../tasks/replicate-task.ts'

export function parseJobs(value: unknown): number | undefined {
  if (value === undefined) return undefined
  const jobs = Number(value)
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new EltError(`--jobs must be a whole number ≥ 1, got "${String(value)}".`, { exitCode: ExitCode.usage })
  }
  return jobs
}

/** `pnpm elt replicate [--jobs N] [--verify] [--fresh] [--json]`: source tables → the destination's raw schema. */
export const replicateCommand: Command = {
  name: 'replicate',
  summary: "Copy the source's tables into the destination's raw schema (one snapshot, in parallel, swapped in atomically).",
  options: {
    jobs: { type: 'string', short: 'j', valueName: 'n', description: 'tables copied in parallel (default: replicate.jobs of the config, else the number of cores)' },
    verify: { type: 'boolean', description: 'also compare a content hash of every table, source vs destination' },
    fresh: { type: 'boolean', description: "copy every table again, even those an interrupted run finished" },
  },
  async run(context, parsed) {
    const jobs = parseJobs(parsed.values.jobs)
    let state: Awaited<ReturnType<typeof connectClient>> | undefined
    let runId: string | undefined
    try {
      const databases = await context.databases()
      state = await connectClient(databases.destination, { waitSeconds: context.env.connectWaitSeconds, logger: context.logger })
      runId = await startRun(state, { command: 'replicate' })
      const summary = await replicateTask(context, { jobs, verify: parsed.values.verify === true, fresh: parsed.values.fresh === true, runId })
      await finishRun(state, runId, { status: 'success', summary })
      context.output({ json: summary, text: renderReplicationSummary(summary) })
      return ExitCode.success
    } catch (error) {
      if (state && runId) {
        await finishRun(state, runId, { status: context.signal.aborted ? 'cancelled' : 'error', message: describeError(error) }).catch(() => {})
      }
      // with --json, stdout always carries one JSON document; the error paragraph goes to stderr
      if (context.json) context.output({ json: { runId: runId ?? null, status: 'error', tables: [], error: describeError(error) }, text: '' })
      throw error
    } finally {
      await state?.end().catch(() => {})
    }
  },
}
