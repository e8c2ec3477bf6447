import { connectClient, describeError, describeTargetLockHolder, ExitCode, partialResultOf, finishRun, lockTarget, startRun, watchedClientStep, type DatabaseTarget, type RunStatus } from '@elt/core'
import type { CommandContext } from '../context.ts'

/** How a command's result is recorded: the run's final status, its summary and message. */
export interface RunOutcome {
  status: Exclude<RunStatus, 'running' | 'abandoned' | 'timed_out'>
  summary: unknown
  message?: string
}

export interface RunSpec {
  /** `_elt.runs.command`: `replicate`, `build`, … */
  command: string
  /** `_elt.runs.target`: the target's name (`prod`), for the commands that build one. */
  target?: string
  /**
   * Schemas whose write lock the run holds for its whole duration, taken in this order before
   * the run starts (see `lockTarget`); a command that writes names at least the pipeline's
   * (`pipelineSchema`). With `wait`, it waits for the holder instead of exiting 1.
   */
  locks?: { schemas: readonly string[]; wait: boolean }
  /** The `--json` document of a failure (default `{ runId, status: 'error', error }`); `cause`: the error itself. */
  errorJson?: (runId: string | null, error: string, cause: unknown) => Record<string, unknown>
}

/** What `recordedRun` returns: the work's result, its run and the command's exit code (0 on success, else 1). */
export interface RecordedRun<T> {
  result: T
  runId: string
  status: RunOutcome['status']
  exitCode: ExitCode
}

/**
 * Runs a command's work as one run in `_elt.runs` of the destination: takes the write locks
 * (one writer per pipeline), `running` with a new run id, then the outcome of the result
 * (`success`, or `error` for a build whose models failed: still a recorded run, exit 1), or
 * `error`/`cancelled` with the one-paragraph message when the work throws. With `--json`, a
 * failure still prints one JSON document (`errorJson`). The run's own session is watched for a
 * silent connection while it starts and records the run (see `watchForStall`; a lock wait is
 * work, not a stall): given up, it is ended, and the run, which can no longer be recorded, shows
 * `abandoned` (its run lock went with the session). `outcome` shapes the recorded status,
 * summary and message from the result (default: `success`, the result as summary).
 *
 * ```ts
 * const { result, exitCode } = await recordedRun(context, { command: 'replicate', locks: { schemas: ['analytics'], wait: false } }, (runId) => replicateTask(context, { runId, … }))
 * // select pg_try_advisory_lock(hashtext('elt:target'), hashtext('analytics'));
 * // insert into _elt.runs (run_id, command, …) values ($1, 'replicate', …); … update _elt.runs set status = 'success', summary = $4 …
 * ```
 */
export async function recordedRun<T>(context: CommandContext, spec: RunSpec, work: (runId: string, releaseLocks: () => Promise<void>) => Promise<T>, outcome?: (result: T) => RunOutcome): Promise<RecordedRun<T>> {
  let state: Awaited<ReturnType<typeof connectClient>> | undefined
  let destination: DatabaseTarget | undefined
  let runId: string | undefined
  /** `step` on the run's session, given up (the session closed and ended) when that connection goes silent. */
  const watched = <T>(what: string, step: (client: NonNullable<typeof state>) => Promise<T>): Promise<T> => {
    const hint = 'The run could not be recorded: it shows abandoned. Check the connection to the destination, then rerun.'
    return watchedClientStep(state!, destination, { what, seconds: context.env.stallSeconds, hint }, () => step(state!))
  }
  try {
    destination = (await context.databases()).destination
    state = await connectClient(destination, { waitSeconds: context.env.connectWaitSeconds, logger: context.logger })
    // the locks end with this session, which then starts the run (so holders can be named)
    const releases: (() => Promise<void>)[] = []
    // a run that writes no more (replicate --follow, streaming for days) lets the next writer in
    const releaseLocks = async () => {
      for (const release of releases.splice(0).reverse()) await release()
    }
    runId = await watched('starting the run', async (client) => {
      for (const schema of new Set(spec.locks?.schemas ?? [])) releases.push(await lockWriter(context, client, schema, spec.locks?.wait === true))
      return startRun(client, { command: spec.command, ...(spec.target === undefined ? {} : { target: spec.target }) })
    })
    const result = await work(runId, releaseLocks)
    const recorded = outcome?.(result) ?? { status: 'success', summary: result }
    await watched('recording the run', (client) => finishRun(client, runId!, recorded))
    return { result, runId, status: recorded.status, exitCode: recorded.status === 'success' ? ExitCode.success : ExitCode.failure }
  } catch (error) {
    if (state && runId) {
      const failed = { status: context.signal.aborted ? ('cancelled' as const) : ('error' as const), message: describeError(error) }
      await watched('recording the failed run', (client) => finishRun(client, runId!, failed)).catch(() => {})
    }
    // with --json, stdout always carries one JSON document; the error paragraph goes to stderr
    if (context.json) {
      const json = spec.errorJson?.(runId ?? null, describeError(error), error) ?? { runId: runId ?? null, status: 'error', error: describeError(error) }
      context.output({ json, text: '' })
    }
    throw error
  } finally {
    await state?.end().catch(() => {})
  }
}

/**
 * `recordedRun` for work whose result is its summary (replicate, extract, load): the result, or
 * the throw. With `--json`, a failure's document is `errorJson` with what the work did before it
 * failed (see `withPartialResult`: the tables loaded beside a failed one) and the error.
 *
 * ```ts
 * const summary = await recordRun(context, 'extract', { date, tables: [] }, (runId) => extractTask(context, { date, runId, … }), { schemas: ['analytics'], wait: false })
 * ```
 */
export async function recordRun<T>(context: CommandContext, command: string, errorJson: Record<string, unknown>, work: (runId: string, releaseLocks: () => Promise<void>) => Promise<T>, locks?: RunSpec['locks']): Promise<T> {
  const errorDocument = (runId: string | null, error: string, cause: unknown) => ({ runId, ...errorJson, ...partialResultOf(cause), status: 'error', error })
  return (await recordedRun(context, { command, errorJson: errorDocument, ...(locks ? { locks } : {}) }, work)).result
}

/**
 * Takes the write lock of `schema` on `state` for the rest of the session (or until the returned release): a second writer
 * exits 1 naming the run that holds it, or with `--wait` waits for it, saying whom it waits for.
 */
async function lockWriter(context: CommandContext, state: Awaited<ReturnType<typeof connectClient>>, schema: string, wait: boolean): Promise<() => Promise<void>> {
  return await lockTarget(state, schema, {
    wait,
    signal: context.signal,
    hint: 'Wait for it to finish, or add --wait to start as soon as it ends.',
    onWait: (holder) => context.logger.info(`waiting for the target "${schema}": ${describeTargetLockHolder(holder)}…`),
  })
}
