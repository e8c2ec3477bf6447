/**
 * Seconds to wait before retry number `retry` (1 = the first retry): `fixed` waits
 * `delaySeconds` every time; `exponential` doubles it each time, with full jitter around it
 * (between half and one and a half times), so retries of many schedules do not align.
 *
 * ```ts
 * retryDelaySeconds({ retryDelaySeconds: 60, retryBackoff: 'exponential' }, 3, () => 0.5) // → 240
 * ```
 */
export function retryDelaySeconds(schedule: { retryDelaySeconds: number; retryBackoff: 'fixed' | 'exponential' }, retry: number, random: () => number = Math.random): number {
  if (schedule.retryBackoff === 'fixed') return schedule.retryDelaySeconds
  return schedule.retryDelaySeconds * 2 ** (retry - 1) * (0.5 + random())
}
