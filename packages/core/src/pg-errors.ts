/** What kind of failure a driver error is, so callers know whether to retry and what to tell a person. */
export type PgFailure = 'transient' | 'unreachable' | 'auth' | 'missing-database' | 'undefined-table' | 'other'

const transientSqlStates = new Set([
  '57P01', // admin_shutdown (pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up)
  '08000', '08001', '08003', '08004', '08006', // connection exceptions
  '53300', // too_many_connections
  '40001', // serialization_failure
  '40P01', // deadlock_detected
])
const unreachableCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ETIMEDOUT'])
const resetCodes = new Set(['ECONNRESET', 'EPIPE'])

function codeOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code
    return typeof code === 'string' ? code : undefined
  }
  return undefined
}

export function classifyPgError(error: unknown): PgFailure {
  const code = codeOf(error)
  if (code === '28P01' || code === '28000') return 'auth'
  if (code === '3D000') return 'missing-database'
  if (code === '42P01') return 'undefined-table'
  if (code && unreachableCodes.has(code)) return 'unreachable'
  if (code && (transientSqlStates.has(code) || resetCodes.has(code))) return 'transient'
  const message = error instanceof Error ? error.message : String(error)
  // `not queryable`: pg's answer to a query on a client whose connection was lost while it was idle
  if (/Connection terminated|connection timeout|terminating connection|server closed the connection|not queryable/i.test(message)) {
    return 'transient'
  }
  if (error instanceof AggregateError) {
    const kinds = error.errors.map(classifyPgError)
    if (kinds.includes('unreachable')) return 'unreachable'
  }
  return 'other'
}

/** Worth another attempt: the connection dropped or the server is not up yet. */
export function isTransientPgError(error: unknown): boolean {
  const kind = classifyPgError(error)
  return kind === 'transient' || kind === 'unreachable'
}

/**
 * Whether `error` or an error in its `cause` chain says a server or the network failed (a lost or
 * refused connection, a stall, rejected credentials, a missing database): the next step against
 * the same servers would fail the same way. A failure of one table's data or shape (a SQL error,
 * a row-count mismatch, a malformed row) is not one.
 *
 * ```ts
 * isServerFailure(new EltError('Could not reach the destination …', { cause: econnrefused })) // true
 * isServerFailure(new EltError('public.orders changed in a way raw.orders cannot follow …'))   // false
 * ```
 */
export function isServerFailure(error: unknown): boolean {
  const seen = new Set<unknown>()
  for (let e = error; typeof e === 'object' && e !== null && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e)
    const kind = classifyPgError(e)
    if (kind !== 'other' && kind !== 'undefined-table') return true
  }
  return false
}
