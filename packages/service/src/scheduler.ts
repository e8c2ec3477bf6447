import { Cron } from 'croner'
import type { ScheduleConfig } from '@elt/config'
import { describeError } from '@elt/core'
import type { ScheduleStatus } from '@elt/dashboard'
import type pg from 'pg'
import { retryDelaySeconds } from './retry-delay.ts'
import type { QueuedRun, RunQueue } from './run-queue.ts'
import { lastTicks, recordTick, updateTick, type LastTick, type TickStatus } from './schedule-ticks.ts'
import type { ServiceLogger } from './service-logger.ts'

/** Runs `fn` with a destination connection (the service's state access). */
export type WithState = <T>(fn: (client: pg.ClientBase) => Promise<T>) => Promise<T>

export interface ScheduleOutcome {
  schedule: ScheduleConfig
  dueAt: Date
  /** The last attempt. */
  run: QueuedRun
  attempts: number
}

export interface SchedulerOptions {
  schedules: readonly ScheduleConfig[]
  /** The config's `timezone`, for schedules without their own. */
  timezone: string
  queue: RunQueue
  withState: WithState
  logger: ServiceLogger
  /** After a tick's last attempt (alerts, metrics). */
  onOutcome?: (outcome: ScheduleOutcome) => void
  random?: () => number
}

export type { ScheduleStatus }

/**
 * The scheduler: each schedule a croner job in its time zone. A due schedule whose previous tick
 * is still going (running, queued or waiting to retry) is recorded `skipped` in
 * `_elt.schedule_ticks` and not started: no pile-up. A tick's failed run is retried up to
 * `retries` times after `retryDelaySeconds` (the whole command again); its last attempt's
 * outcome ends the tick. At start, a tick missed while the service was down is replayed once
 * (the latest) only for schedules with `catchup: true`.
 *
 * ```ts
 * const scheduler = new Scheduler({ schedules: config.schedules, timezone: 'UTC', queue, withState, logger })
 * await scheduler.start() // insert into _elt.schedule_ticks (schedule, due_at, status, …) values ('nightly', '…', 'started', …)
 * ```
 */
export class Scheduler {
  private readonly jobs = new Map<string, Cron>()
  private readonly busy = new Map<string, Promise<void>>()
  private readonly last = new Map<string, LastTick>()
  private readonly stopping = new AbortController()

  constructor(private readonly options: SchedulerOptions) {}

  /** The last recorded tick of each schedule (read at start, then kept up to date). */
  lastTick(name: string): LastTick | undefined {
    return this.last.get(name)
  }

  async start(): Promise<void> {
    try {
      for (const [name, tick] of await this.options.withState((client) => lastTicks(client))) this.last.set(name, tick)
    } catch (error) {
      this.options.logger.warn({ step: 'schedule' }, `Could not read the schedules' last ticks: ${describeError(error)}`)
    }
    const now = new Date()
    for (const schedule of this.options.schedules) {
      const cron = new Cron(schedule.cron, { timezone: this.timezoneOf(schedule), name: `elt:${schedule.name}` }, (self: Cron) => {
        this.fire(schedule, self.currentRun() ?? new Date())
      })
      this.jobs.set(schedule.name, cron)
      const missed = cron.previousRuns(1, now)[0]
      const last = this.last.get(schedule.name)
      if (missed && last && missed.getTime() > last.dueAt.getTime()) {
        if (schedule.catchup) {
          this.options.logger.info({ schedule: schedule.name, step: 'catchup' }, `Replaying the tick of ${missed.toISOString()} missed while the service was down (catchup).`)
          this.fire(schedule, missed)
        } else {
          this.options.logger.info({ schedule: schedule.name, step: 'catchup' }, `Not replaying ticks missed since ${last.dueAt.toISOString()} (catchup is false).`)
        }
      }
    }
  }

  /** Stops the cron jobs and the waits between retries; resolves when every tick in progress has ended. */
  async stop(): Promise<void> {
    for (const cron of this.jobs.values()) cron.stop()
    this.stopping.abort()
    await Promise.all(this.busy.values())
  }

  status(): ScheduleStatus[] {
    return this.options.schedules.map((schedule) => {
      const last = this.last.get(schedule.name)
      return {
        name: schedule.name,
        cron: schedule.cron,
        timezone: this.timezoneOf(schedule),
        command: schedule.command,
        ...(schedule.select ? { select: schedule.select } : {}),
        busy: this.busy.has(schedule.name),
        nextRunAt: this.nextRun(schedule.name)?.toISOString() ?? null,
        lastDueAt: last?.dueAt.toISOString() ?? null,
        lastStatus: last?.status ?? null,
        lastRunId: last?.runId ?? null,
      }
    })
  }

  nextRun(name: string): Date | null {
    return this.jobs.get(name)?.nextRun() ?? null
  }

  private timezoneOf(schedule: ScheduleConfig): string {
    return schedule.timezone ?? this.options.timezone
  }

  private fire(schedule: ScheduleConfig, dueAt: Date): void {
    if (this.stopping.signal.aborted) return
    const log = { schedule: schedule.name }
    if (this.busy.has(schedule.name)) {
      // the tick in progress stays the schedule's status
      this.options.logger.warn({ ...log, step: 'skip' }, `Skipped the tick of ${dueAt.toISOString()}: the previous one is still going.`)
      void this.options
        .withState((client) => recordTick(client, { schedule: schedule.name, dueAt, status: 'skipped', message: 'the previous tick was still going' }))
        .catch((error: unknown) => this.options.logger.error({ ...log, step: 'skip' }, `Could not record the skipped tick: ${describeError(error)}`))
      return
    }
    const ticking = this.tick(schedule, dueAt).finally(() => this.busy.delete(schedule.name))
    this.busy.set(schedule.name, ticking)
  }

  private async tick(schedule: ScheduleConfig, dueAt: Date): Promise<void> {
    const log = { schedule: schedule.name }
    const tickId = await this.options
      .withState((client) => recordTick(client, { schedule: schedule.name, dueAt, status: 'started' }))
      .catch((error: unknown) => {
        this.options.logger.error({ ...log, step: 'schedule' }, `Could not record the tick: ${describeError(error)}`)
        return undefined
      })
    const record = (status: TickStatus, run: QueuedRun, attempts: number) => {
      this.remember(schedule.name, { dueAt, status, runId: run.runId })
      if (tickId === undefined) return Promise.resolve()
      return this.options
        .withState((client) => updateTick(client, tickId, { status, runId: run.runId, attempts, message: run.message }))
        .catch((error: unknown) => this.options.logger.error({ ...log, runId: run.runId, step: 'schedule' }, `Could not record the tick: ${describeError(error)}`))
    }
    let run: QueuedRun | undefined
    let attempt = 1
    for (; ; attempt++) {
      try {
        const { command, select, exclude, target, timeoutSeconds } = schedule
        run = this.options.queue.enqueue({ command, select, exclude, target, timeoutSeconds, startedBy: `schedule ${schedule.name}`, schedule: schedule.name, attempt })
      } catch {
        break // the service is stopping
      }
      await record('started', run, attempt)
      run = await this.options.queue.finished(run.runId)
      if (run.outcome === 'success' || run.outcome === 'cancelled' || attempt > schedule.retries || this.stopping.signal.aborted) break
      const delay = retryDelaySeconds(schedule, attempt, this.options.random)
      this.options.logger.warn({ ...log, runId: run.runId, step: 'retry' }, `Run ${run.outcome}; retry ${attempt} of ${schedule.retries} in ${delay.toFixed(1)} s (the whole command again).`)
      if (!(await this.wait(delay * 1000))) break
    }
    if (!run) return
    await record(run.outcome ?? 'error', run, Math.min(attempt, schedule.retries + 1))
    this.options.onOutcome?.({ schedule, dueAt, run, attempts: Math.min(attempt, schedule.retries + 1) })
  }

  private remember(name: string, tick: { dueAt: Date; status: TickStatus; runId: string | null }): void {
    const before = this.last.get(name)
    const final = tick.status !== 'started' && tick.status !== 'skipped'
    this.last.set(name, {
      schedule: name,
      ...tick,
      lastOutcome: final ? tick.status : (before?.lastOutcome ?? null),
      lastSuccessAt: tick.status === 'success' ? new Date() : (before?.lastSuccessAt ?? null),
    })
  }

  /** Sleeps `ms`; false when the service stops meanwhile. */
  private wait(ms: number): Promise<boolean> {
    const signal = this.stopping.signal
    if (signal.aborted) return Promise.resolve(false)
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort)
        resolve(true)
      }, ms)
      const onAbort = () => {
        clearTimeout(timer)
        resolve(false)
      }
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }
}
