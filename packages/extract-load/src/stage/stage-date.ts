import { EltError, ExitCode } from '@elt/core'

/**
 * Checks a `--date` value: a real calendar day written `YYYY-MM-DD`; anything else is a usage
 * error (exit 2) naming the value.
 *
 * ```ts
 * stageDate('2024-01-15') // '2024-01-15'
 * stageDate('2024-02-30') // throws: --date must be a day written YYYY-MM-DD …
 * ```
 */
export function stageDate(value: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined
  if (!d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) {
    throw new EltError(`--date must be a day written YYYY-MM-DD, such as 2024-01-15; got "${value}".`, { exitCode: ExitCode.usage })
  }
  return value
}

/** Today's date in an IANA time zone (`config.timezone`): the default `--date`. */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(now)
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
  return `${get('year')}-${get('month')}-${get('day')}`
}

/** `addDays('2024-01-15', -7)` → `'2024-01-08'`. */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + days)
  return d.toISOString().slice(0, 10)
}
