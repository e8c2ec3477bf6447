import { Cron } from 'croner'
import { z } from 'zod'
import { configSection } from './config-section.ts'
import { nonEmptyText, seconds, wholeNumber } from './config-values.ts'
import { timeZone } from './time-zone.ts'

/** Commands a schedule (or the API) can start. */
export const schedulableCommands = ['run', 'replicate', 'build', 'test', 'extract', 'load'] as const

const cronExpected = 'a cron expression of 5 or 6 fields such as "0 2 * * *" (minute hour day month weekday, seconds first when 6)'

/** A 5- or 6-field cron expression croner accepts. */
const cronExpression = z.string({ error: cronExpected }).refine((expression) => {
  const fields = expression.trim().split(/\s+/)
  if (fields.length !== 5 && fields.length !== 6) return false
  try {
    new Cron(expression, { paused: true })
    return true
  } catch {
    return false
  }
}, { error: cronExpected })

/**
 * `schedules`: what `pnpm elt serve` starts, when. Evaluated with croner in `timezone`
 * (default: the config's `timezone`, else UTC).
 *
 * ```ts
 * schedules: [
 *   { name: 'nightly', cron: '0 2 * * *', timezone: 'America/Sao_Paulo', command: 'run', retries: 2, retryDelaySeconds: 300 },
 *   { name: 'orders-hourly', cron: '0 * * * *', command: 'run', select: 'source:postgres.orders+' },
 * ]
 * ```
 */
export const scheduleSection = configSection(
  {
    name: z.string({ error: 'a schedule name of letters, digits, "_" or "-"' }).regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, {
      error: 'a schedule name of letters, digits, "_" or "-"',
    }),
    cron: cronExpression,
    timezone: timeZone.optional(),
    command: z.enum(schedulableCommands, { error: `one of ${schedulableCommands.map((c) => `"${c}"`).join(', ')}` }),
    /** Selection passed as `--select` (dbt syntax). */
    select: nonEmptyText('a selection such as "source:postgres.orders+"').optional(),
    exclude: nonEmptyText('a selection such as "stg_users"').optional(),
    /** Target for build/run/test (default: the config's default target). */
    target: nonEmptyText('the name of a target').optional(),
    /** Times a failed run is retried (default 0). */
    retries: wholeNumber(0).default(0),
    /** Delay before a retry (default 60 s). */
    retryDelaySeconds: seconds.default(60),
    /** `fixed` (default) or `exponential` (doubling, with jitter). */
    retryBackoff: z.enum(['fixed', 'exponential'], { error: '"fixed" or "exponential"' }).default('fixed'),
    /** A run still going after this long is cancelled and recorded `timed_out`. */
    timeoutSeconds: seconds.optional(),
    /** Replay the ticks missed while the service was down (default false). */
    catchup: z.boolean({ error: 'true or false' }).default(false),
  },
  'a schedule { name, cron, command, timezone?, select?, exclude?, target?, retries?, retryDelaySeconds?, retryBackoff?, timeoutSeconds?, catchup? }',
)

export const schedulesSection = z.array(scheduleSection, { error: 'a list of schedules such as [{ name: "nightly", cron: "0 2 * * *", command: "run" }]' })

export type ScheduleConfig = z.output<typeof scheduleSection>
