import { randomUUID } from 'node:crypto'
import { describeError } from '@elt/core'
import { startChildRun, type ChildRun } from './child-run.ts'
import { failedParts, parseRunSummary, type FailedPart, type RunSummary } from './run-summary.ts'

/** What a queued run asks for: the CLI command and its selection (a schedule's, the API's, a backfill day's). */
export interface RunRequest {
  command: string
  select?: string
  exclude?: string
  target?: string
  date?: string
  /** Recorded in `_elt.runs.started_by`: `schedule nightly`, `api`, `backfill nightly`. */
  startedBy: string
  schedule?: string
  /** Cancel the run (recorded `timed_out`) when it is still going after this long. */
  timeoutSeconds?: number
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt?: number
}

export type RunOutcome = 'success' | 'error' | 'cancelled' | 'timed_out'

export interface QueuedRun extends RunRequest {
  runId: string
  state: 'queued' | 'running' | 'finished'
  attempt: number
  queuedAt: Date
  startedAt?: Date
  finishedAt?: Date
  pid?: number
  outcome?: RunOutcome
  exitCode?: number | null
  message?: string
  summary?: RunSummary
  failed?: FailedPart[]
  /** The child's last progress line. */
  lastLine?: string
}

export type QueueEvent =
  | { type: 'queued' | 'started' | 'finished'; run: QueuedRun }
  | { type: 'progress'; run: QueuedRun; line: string }

export interface RunQueueOptions {
  cli: readonly string[]
  cwd: string
  /** The child's environment (the service's, with the database URLs); ELT_RUN_ID and ELT_STARTED_BY are added per run. */
  env: NodeJS.ProcessEnv
  /** `--config <file>` for every run (undefined: the child finds the config in `cwd` as the service did). */
  configFile?: string
  /** Between SIGINT and SIGKILL of a cancelled run. Default 10 s. */
  killAfterMs?: number
  /** Called after each run's child ended, before `finished` is announced (records what the child could not). */
  complete?: (run: QueuedRun) => Promise<void>
  onEvent?: (event: QueueEvent) => void
}

/** Commands that write, so take `--wait` (a run waits for a CLI run holding the pipeline instead of failing). */
const waitingCommands = new Set(['run', 'build', 'replicate', 'extract', 'load'])

/** `pnpm elt run --json --select x --wait --config f`, as the child's argv after the CLI. */
export function childArgs(request: RunRequest, configFile: string | undefined): string[] {
  return [
    request.command,
    '--json',
    ...(request.select ? ['--select', request.select] : []),
    ...(request.exclude ? ['--exclude', request.exclude] : []),
    ...(request.target ? ['--target', request.target] : []),
    ...(request.date ? ['--date', request.date] : []),
    ...(waitingCommands.has(request.command) ? ['--wait'] : []),
    ...(configFile ? ['--config', configFile] : []),
  ]
}

/**
 * The service's one queue: schedules, the API and backfills enqueue here; one child run at a
 * time, in order. A run's id is chosen here and given to the child (ELT_RUN_ID), so the API can
 * answer with it before the run starts.
 *
 * ```ts
 * const queue = new RunQueue({ cli, cwd, env })
 * const run = queue.enqueue({ command: 'run', startedBy: 'api' }) // run.runId at once
 * await queue.finished(run.runId)                                  // → { outcome: 'success', … }
 * ```
 */
export class RunQueue {
  private readonly waiting: QueuedRun[] = []
  private readonly known = new Map<string, { run: QueuedRun; done: Promise<QueuedRun>; resolve: (run: QueuedRun) => void }>()
  private current: { run: QueuedRun; child: ChildRun; cancelledAs?: RunOutcome } | undefined
  private closed = false
  private idle: Promise<void> = Promise.resolve()

  constructor(private readonly options: RunQueueOptions) {}

  /** Adds a run; it starts when the runs before it have ended. Refused once the queue is closed. */
  enqueue(request: RunRequest): QueuedRun {
    if (this.closed) throw new Error('The service is stopping: no new runs.')
    const run: QueuedRun = { ...request, runId: randomUUID(), state: 'queued', attempt: request.attempt ?? 1, queuedAt: new Date() }
    let resolve!: (run: QueuedRun) => void
    const done = new Promise<QueuedRun>((r) => (resolve = r))
    this.known.set(run.runId, { run, done, resolve })
    this.forget()
    this.waiting.push(run)
    this.options.onEvent?.({ type: 'queued', run })
    if (!this.current) this.idle = this.drain()
    return run
  }

  get(runId: string): QueuedRun | undefined {
    return this.known.get(runId)?.run
  }

  /** The runs queued or running, oldest first. */
  active(): QueuedRun[] {
    return [...(this.current ? [this.current.run] : []), ...this.waiting]
  }

  /** Resolves when the run has ended (any outcome). */
  finished(runId: string): Promise<QueuedRun> {
    const entry = this.known.get(runId)
    if (!entry) throw new Error(`No queued run ${runId}.`)
    return entry.done
  }

  /**
   * Stops accepting runs, drops the queued ones, lets the running one go on for `graceMs`,
   * then cancels it (SIGINT, SIGKILL after the kill delay); resolves when it has ended.
   */
  async close(graceMs: number): Promise<void> {
    this.closed = true
    for (const run of this.waiting.splice(0)) this.settle(run, 'cancelled', 'The service stopped before the run started.')
    const current = this.current
    if (current) {
      const timer = setTimeout(() => this.cancel(current.run.runId, 'cancelled'), graceMs)
      await this.idle
      clearTimeout(timer)
    }
  }

  /** Cancels a running run (recorded as `as`) or drops a queued one. */
  cancel(runId: string, as: RunOutcome = 'cancelled'): void {
    const index = this.waiting.findIndex((r) => r.runId === runId)
    if (index >= 0) {
      this.settle(this.waiting.splice(index, 1)[0]!, as, 'Cancelled before it started.')
      return
    }
    if (this.current?.run.runId === runId) {
      this.current.cancelledAs ??= as
      this.current.child.cancel(this.options.killAfterMs ?? 10_000)
    }
  }

  private async drain(): Promise<void> {
    for (let run = this.waiting.shift(); run; run = this.waiting.shift()) await this.execute(run)
  }

  private async execute(run: QueuedRun): Promise<void> {
    run.state = 'running'
    run.startedAt = new Date()
    const child = startChildRun({
      cli: this.options.cli,
      args: childArgs(run, this.options.configFile),
      cwd: this.options.cwd,
      env: { ...this.options.env, ELT_RUN_ID: run.runId, ELT_STARTED_BY: run.startedBy },
      onLine: (line) => {
        run.lastLine = line
        this.options.onEvent?.({ type: 'progress', run, line })
      },
    })
    run.pid = child.pid
    this.current = { run, child }
    this.options.onEvent?.({ type: 'started', run })
    const timeout = run.timeoutSeconds === undefined ? undefined : setTimeout(() => this.cancel(run.runId, 'timed_out'), run.timeoutSeconds * 1000)
    const exit = await child.done
    clearTimeout(timeout)
    const cancelledAs = this.current.cancelledAs
    this.current = undefined
    const summary = parseRunSummary(exit.stdout)
    run.summary = summary
    run.exitCode = exit.exitCode
    run.failed = failedParts(summary)
    const outcome: RunOutcome =
      cancelledAs ?? (exit.exitCode === 0 ? 'success' : summary?.status === 'cancelled' ? 'cancelled' : 'error')
    const message =
      outcome === 'timed_out'
        ? `Cancelled by elt serve after ${run.timeoutSeconds} s (the schedule's timeoutSeconds).`
        : outcome === 'success'
          ? undefined
          : (summary?.error ?? exit.stderrTail.filter((l) => l.startsWith('error:')).at(-1) ?? exit.stderrTail.at(-1) ?? `exit code ${exit.exitCode ?? exit.signal}`)
    await this.settle(run, outcome, message)
  }

  private async settle(run: QueuedRun, outcome: RunOutcome, message: string | undefined): Promise<void> {
    run.outcome = outcome
    run.message = message
    run.finishedAt = new Date()
    run.startedAt ??= run.finishedAt
    try {
      await this.options.complete?.(run)
    } catch (error) {
      run.message = `${message ?? ''} (could not record the run: ${describeError(error)})`.trim()
    }
    run.state = 'finished'
    this.options.onEvent?.({ type: 'finished', run })
    this.known.get(run.runId)?.resolve(run)
  }

  /** Keeps the last 200 finished runs in memory (older ones are in `_elt.runs`). */
  private forget(): void {
    const finished = [...this.known.values()].filter((e) => e.run.state === 'finished')
    for (const entry of finished.slice(0, Math.max(0, finished.length - 200))) this.known.delete(entry.run.runId)
  }
}
