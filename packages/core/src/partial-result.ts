const partials = new WeakMap<object, Record<string, unknown>>()

/**
 * Keeps with `error` what its operation did before it failed (the tables a replication loaded
 * before a table failed), for whoever reports the failure: a command's `--json` document carries
 * it (see `partialResultOf`). The error itself is returned unchanged, so it is thrown as it was.
 *
 * ```ts
 * throw withPartialResult(failure, { runId, status: 'error', tables: loaded })
 * // pnpm elt replicate --json → { "runId": "…", "status": "error", "tables": [ …the loaded ones… ], "error": "…" }
 * ```
 */
export function withPartialResult<E>(error: E, result: Record<string, unknown>): E {
  if (typeof error === 'object' && error !== null) partials.set(error, result)
  return error
}

/** What `withPartialResult` kept with `error`, if anything. */
export function partialResultOf(error: unknown): Record<string, unknown> | undefined {
  return typeof error === 'object' && error !== null ? partials.get(error) : undefined
}
