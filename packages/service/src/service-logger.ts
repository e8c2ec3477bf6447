import { pino, type Logger as PinoLogger } from 'pino'
import { redactSecrets, type Logger } from '@elt/core'

/** The service's logger: pino, with `runId`, `schedule` and `step` bound on a run's lines. */
export type ServiceLogger = PinoLogger

export type LogFormat = 'json' | 'pretty'

/**
 * A pino logger writing one line per record to `write`: JSON (`--log-format json`, the default
 * when stdout is not a terminal) or a human line (`12:01:02 INFO  [nightly 6f1c…] start: Run started`).
 * Every line passes through `redactSecrets` with `secrets()` (the database passwords, the token),
 * read at each write so secrets learnt later are redacted too.
 *
 * ```ts
 * const logger = createServiceLogger({ format: 'json', secrets: () => [password], write: (l) => process.stdout.write(l) })
 * logger.child({ runId, schedule: 'nightly' }).info({ step: 'start' }, 'Run started')
 * // {"level":"info","time":"2026-…","runId":"6f1c…","schedule":"nightly","step":"start","msg":"Run started"}
 * ```
 */
export function createServiceLogger(options: { format: LogFormat; secrets: () => readonly (string | undefined)[]; write: (line: string) => void; level?: string }): ServiceLogger {
  const destination = {
    write(line: string) {
      const safe = redactSecrets(line, options.secrets())
      options.write(options.format === 'json' ? safe : prettyLine(safe))
    },
  }
  return pino({ level: options.level ?? 'info', base: undefined, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } }, destination)
}

function prettyLine(json: string): string {
  let record: Record<string, unknown>
  try {
    record = JSON.parse(json) as Record<string, unknown>
  } catch {
    return json
  }
  const time = typeof record.time === 'string' ? record.time.slice(11, 19) : ''
  const level = String(record.level ?? 'info').toUpperCase().padEnd(5)
  const who = [record.schedule, typeof record.runId === 'string' ? `${record.runId.slice(0, 8)}…` : undefined].filter(Boolean).join(' ')
  const step = record.step ? `${String(record.step)}: ` : ''
  return `${time} ${level} ${who ? `[${who}] ` : ''}${step}${String(record.msg ?? '')}\n`
}

/** The `Logger` of @elt/core (used by the dashboard) writing through the service's logger. */
export function coreLogger(logger: ServiceLogger, step: string): Logger {
  return {
    debug: (message) => logger.debug({ step }, message),
    info: (message) => logger.info({ step }, message),
    warn: (message) => logger.warn({ step }, message),
    error: (message) => logger.error({ step }, message),
  }
}
