/** How often and how patiently a transient failure is retried. */
export interface RetryPolicy {
  /** Attempts after the first one. */
  maxRetries: number
  /** Delay before the first retry; doubles after each one (capped at 30 s). */
  delaySeconds: number
}

export const defaultRetryPolicy: RetryPolicy = { maxRetries: 3, delaySeconds: 1 }

/**
 * Runs `fn`, retrying while `isTransient(error)` holds, with exponential backoff. An abort of
 * `signal` ends the wait before a retry at once (the next attempt then sees the signal aborted and
 * stops as it sees fit), so Ctrl-C never waits out a 30 s backoff.
 *
 * ```ts
 * await withRetry(() => copyTable(t), policy, { isTransient: isTransientPgError, signal })
 * ```
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  options: { isTransient: (error: unknown) => boolean; onRetry?: (error: unknown, attempt: number, delayMs: number) => void; signal?: AbortSignal },
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (error) {
      if (attempt >= policy.maxRetries || !options.isTransient(error)) throw error
      const delayMs = Math.min(30_000, policy.delaySeconds * 1000 * 2 ** attempt)
      options.onRetry?.(error, attempt + 1, delayMs)
      await sleep(delayMs, options.signal)
    }
  }
}

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}
