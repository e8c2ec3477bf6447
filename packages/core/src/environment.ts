import { EltError, ExitCode } from './elt-error.ts'
import type { RetryPolicy } from './retry.ts'
import { defaultStallSeconds } from './stall-watch.ts'

/** Everything the tool reads from the environment, read once at the edge (the CLI) and passed down. */
export interface EltEnvironment {
  sourceUrl: string | undefined
  destinationUrl: string | undefined
  retry: RetryPolicy
  /** Bounded wait for databases to accept connections. */
  connectWaitSeconds: number
  /** Seconds without a byte from a server before a load's, build's or run's sessions are looked at (see `watchForStall`). */
  stallSeconds: number
}

function number(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < min) {
    throw new EltError(`${name} must be a number ≥ ${min}, got "${raw}".`, { exitCode: ExitCode.usage })
  }
  return value
}

/**
 * Reads `SOURCE_DATABASE_URL`, `DESTINATION_DATABASE_URL`, `ELT_MAX_RETRIES`,
 * `ELT_RETRY_DELAY_SECONDS`, `ELT_CONNECT_TIMEOUT_SECONDS` and `ELT_STALL_SECONDS`.
 * Both URLs unset means the embedded default; exactly one set is a usage error.
 */
export function readEnvironment(env: NodeJS.ProcessEnv = process.env): EltEnvironment {
  const sourceUrl = env.SOURCE_DATABASE_URL || undefined
  const destinationUrl = env.DESTINATION_DATABASE_URL || undefined
  if ((sourceUrl === undefined) !== (destinationUrl === undefined)) {
    const missing = sourceUrl === undefined ? 'SOURCE_DATABASE_URL' : 'DESTINATION_DATABASE_URL'
    throw new EltError(`${missing} is not set, but the other database URL is.`, {
      hint: 'Set both SOURCE_DATABASE_URL and DESTINATION_DATABASE_URL, or neither to use the embedded PostgreSQL under .elt/.',
      exitCode: ExitCode.usage,
    })
  }
  return {
    sourceUrl,
    destinationUrl,
    retry: {
      maxRetries: number(env, 'ELT_MAX_RETRIES', 3, 0),
      delaySeconds: number(env, 'ELT_RETRY_DELAY_SECONDS', 1, 0),
    },
    connectWaitSeconds: number(env, 'ELT_CONNECT_TIMEOUT_SECONDS', 30, 0),
    stallSeconds: number(env, 'ELT_STALL_SECONDS', defaultStallSeconds, 1),
  }
}
