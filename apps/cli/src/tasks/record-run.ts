import { connectClient, describeError, finishRun, startRun } from '@elt/core'
import type { CommandContext } from '../context.ts'

/**
 * Runs a command's work as one run in `_elt.runs` of the destination: `running` with a new run
 * id, then `success` with the summary, or `error`/`cancelled` with the one-paragraph message.
 * With `--json`, a failure still prints one JSON document (`errorJson` + run id, status, error).
 *
 * ```ts
 * const summary = await recordRun(context, 'extract', { date, tables: [] }, (runId) => extractTask(context, { date, runId, … }))
 * // insert into _elt.runs (run_id, command, …) values ($1, 'extract', …); … update _elt.runs set status = 'success', summary = $4 …
 * ```
 */
export async function recordRun<T>(context: CommandContext, command: string, errorJson: Record<string, unknown>, work: (runId: string) => Promise<T>): Promise<T> {
  let state: Awaited<ReturnType<typeof connectClient>> | undefined
  let runId: string | undefined
  try {
    const databases = await context.databases()
    state = await connectClient(databases.destination, { waitSeconds: context.env.connectWaitSeconds, logger: context.logger })
    runId = await startRun(state, { command })
    const summary = await work(runId)
    await finishRun(state, runId, { status: 'success', summary })
    return summary
  } catch (error) {
    if (state && runId) await finishRun(state, runId, { status: context.signal.aborted ? 'cancelled' : 'error', message: describeError(error) }).catch(() => {})
    // with --json, stdout always carries one JSON document; the error paragraph goes to stderr
    if (context.json) context.output({ json: { runId: runId ?? null, status: 'error', ...errorJson, error: describeError(error) }, text: '' })
    throw error
  } finally {
    await state?.end().catch(() => {})
  }
}
