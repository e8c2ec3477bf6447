import { redactSecrets } from './redact.ts'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** Where progress and diagnostics go. Commands write logs to stderr so `--json` keeps stdout clean. */
export interface Logger {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
}

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

/**
 * A plain line logger on a writable stream (stderr by default) that scrubs the
 * given secrets from every line.
 */
export function createLogger(
  options: { level?: LogLevel; secrets?: readonly (string | undefined)[]; write?: (line: string) => void } = {},
): Logger {
  const min = order[options.level ?? 'info']
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'))
  const secrets = options.secrets ?? []
  const log = (level: LogLevel) => (message: string) => {
    if (order[level] < min) return
    const prefix = level === 'info' ? '' : `${level}: `
    write(redactSecrets(prefix + message, secrets))
  }
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }
}

/** A logger that drops everything (tests, library callers that want silence). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} }
