/** A tick's status (`_elt.schedule_ticks.status`): `started` while its runs go, `skipped` when the previous one was still going, else the last attempt's outcome. */
export type TickStatus = 'started' | 'skipped' | 'success' | 'error' | 'cancelled' | 'timed_out'

/**
 * One schedule of `pnpm elt serve` as `GET /api/schedules` lists it: the service's scheduler
 * produces it, the dashboard's `/schedules` page shows it (defined here because the service
 * depends on the dashboard, not the other way round).
 *
 * ```ts
 * // { name: 'nightly', cron: '0 3 * * *', timezone: 'UTC', command: 'run', busy: false,
 * //   nextRunAt: '2024-05-02T03:00:00.000Z', lastDueAt: '2024-05-01T03:00:00.000Z', lastStatus: 'success', lastRunId: '…' }
 * ```
 */
export interface ScheduleStatus {
  name: string
  cron: string
  timezone: string
  command: string
  select?: string
  /** A tick of it is running (or waiting to retry) now. */
  busy: boolean
  nextRunAt: string | null
  lastDueAt: string | null
  lastStatus: TickStatus | null
  lastRunId: string | null
}
