import { ExitCode, connectClient, describeError, finishRun, startRun } from '@elt/core'
import type { Command } from '../command.ts'
import { replicationOptions, wholeNumberOption } from '../options.ts'
import { renderReplicationSummary } from '../output/replication-summary.ts'

/** `pnpm elt replicate [--jobs N] [--verify] [--fresh] [--json]`: source tables → the destination's raw schema. */
export const replicateCommand: Command = {
  name: 'replicate',
  summary: "Copy the source's tables into the destination's raw schema (one snapshot, in parallel, swapped in atomically).",
  options: replicationOptions,
  async run(context, parsed) {
    // Loaded on use, so `elt --help` and the other commands start fast.
    const { replicateTask } = await import('../tasks/replicate-task.ts')
    const jobs = wholeNumberOption(parsed.values.jobs, 'jobs', 1)
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
