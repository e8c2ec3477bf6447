import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { QueuedRun } from './run-queue.ts'

/**
 * The service's Prometheus metrics (prom-client, its own registry), fed from each finished
 * child run's `--json` summary:
 *
 * ```
 * elt_runs_total{command,schedule,status}            runs ended (schedule "" for API runs)
 * elt_run_duration_seconds{command,schedule}          histogram of run durations
 * elt_rows_loaded_total{source,table}                rows written per destination table
 * elt_rejected_rows_total{source,table}              rows a load rejected
 * elt_tests_total{status}                            data test results (pass, warn, fail, error)
 * elt_last_success_timestamp_seconds{schedule}       end of the schedule's last successful run
 * elt_schedule_next_run_timestamp_seconds{schedule}  when the schedule is next due
 * elt_run_in_progress                                1 while a run is going
 * ```
 */
export class ServiceMetrics {
  readonly registry = new Registry()
  private readonly runs = new Counter({ name: 'elt_runs_total', help: 'Runs ended, by command, schedule and status.', labelNames: ['command', 'schedule', 'status'], registers: [this.registry] })
  private readonly duration = new Histogram({
    name: 'elt_run_duration_seconds',
    help: 'Duration of runs (start of the child process to its end).',
    labelNames: ['command', 'schedule'],
    buckets: [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200, 14400],
    registers: [this.registry],
  })
  private readonly rows = new Counter({ name: 'elt_rows_loaded_total', help: 'Rows loaded per source and destination table.', labelNames: ['source', 'table'], registers: [this.registry] })
  private readonly rejected = new Counter({ name: 'elt_rejected_rows_total', help: 'Rows rejected by loads per source and destination table.', labelNames: ['source', 'table'], registers: [this.registry] })
  private readonly tests = new Counter({ name: 'elt_tests_total', help: 'Data test results by status.', labelNames: ['status'], registers: [this.registry] })
  private readonly lastSuccess = new Gauge({ name: 'elt_last_success_timestamp_seconds', help: 'Unix time the schedule last ended successfully.', labelNames: ['schedule'], registers: [this.registry] })
  private readonly nextRun = new Gauge({ name: 'elt_schedule_next_run_timestamp_seconds', help: 'Unix time the schedule is next due.', labelNames: ['schedule'], registers: [this.registry] })
  private readonly inProgress = new Gauge({ name: 'elt_run_in_progress', help: '1 while a run is going, else 0.', registers: [this.registry] })

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry })
  }

  runStarted(): void {
    this.inProgress.set(1)
  }

  /** Counts a finished run and what its summary says it loaded and tested. */
  runFinished(run: QueuedRun): void {
    this.inProgress.set(0)
    const schedule = run.schedule ?? ''
    this.runs.inc({ command: run.command, schedule, status: run.outcome ?? 'error' })
    if (run.startedAt && run.finishedAt) this.duration.observe({ command: run.command, schedule }, (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000)
    for (const table of run.summary?.tables ?? []) {
      const labels = { source: table.sourceName ?? 'postgres', table: table.target ?? table.source ?? '' }
      if (typeof table.rows === 'number') this.rows.inc(labels, table.rows)
      if (typeof table.rejected === 'number' && table.rejected > 0) this.rejected.inc(labels, table.rejected)
    }
    for (const test of run.summary?.tests ?? []) if (test.status) this.tests.inc({ status: test.status })
    if (run.schedule && run.outcome === 'success' && run.finishedAt) this.lastSuccess.set({ schedule: run.schedule }, run.finishedAt.getTime() / 1000)
  }

  lastSuccessAt(schedule: string, at: Date): void {
    this.lastSuccess.set({ schedule }, at.getTime() / 1000)
  }

  nextRunAt(schedule: string, at: Date | null): void {
    if (at) this.nextRun.set({ schedule }, at.getTime() / 1000)
    else this.nextRun.remove({ schedule })
  }

  /** The Prometheus text format and its content type. */
  async text(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType }
  }
}
