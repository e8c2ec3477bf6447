import type { ScheduleConfig } from '@elt/config'
import { EltError, ExitCode } from '@elt/core'
import type { QueuedRun, RunQueue } from './run-queue.ts'

/**
 * The days from `from` to `to` (inclusive, `YYYY-MM-DD`): `backfillDays('2026-11-29', '2026-12-01')`
 * → `['2026-11-29', '2026-11-30', '2026-12-01']`. A bad day or `to` before `from` is a usage error.
 */
export function backfillDays(from: string, to: string): string[] {
  const parse = (value: string, name: string) => {
    const time = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Number.NaN
    if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== value) {
      throw new EltError(`--${name} must be a day such as 2026-11-30, got "${value}".`, { exitCode: ExitCode.usage })
    }
    return time
  }
  const start = parse(from, 'from')
  const end = parse(to, 'to')
  if (end < start) throw new EltError(`--to (${to}) is before --from (${from}).`, { exitCode: ExitCode.usage })
  const days: string[] = []
  for (let t = start; t <= end; t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10))
  return days
}

/**
 * Runs the schedule's command once per day with `--date <day>`, one day at a time, in order,
 * through `queue` (a day runs when the one before has ended, whatever its outcome). Returns each day's run.
 *
 * ```ts
 * await backfill(queue, schedule, ['2026-11-29', '2026-11-30']) // elt run --json --date 2026-11-29 …, then --date 2026-11-30
 * ```
 */
export async function backfill(queue: RunQueue, schedule: ScheduleConfig, days: readonly string[], onDay?: (day: string, run: QueuedRun) => void): Promise<{ day: string; run: QueuedRun }[]> {
  const results: { day: string; run: QueuedRun }[] = []
  for (const day of days) {
    const { command, select, exclude, target, timeoutSeconds } = schedule
    const queued = queue.enqueue({ command, select, exclude, target, timeoutSeconds, date: day, startedBy: `backfill ${schedule.name}`, schedule: schedule.name })
    const run = await queue.finished(queued.runId)
    onDay?.(day, run)
    results.push({ day, run })
    if (run.outcome === 'cancelled') break // stopped (Ctrl-C): the remaining days are not started
  }
  return results
}
