/** How often and how patiently a transient failure is retried. */
export interface RetryPolicy {
  /** Attempts after the first one. */
  maxRetries: number
  /** Delay before the first retry; doubles after each one (capped at 30 s). */
  delaySeconds: number
}

export const defaultRetryPolicy: RetryPolicy = { maxRetries: 3, delaySeconds: 1 }

/**
 * Runs `fn`, retrying while `isTransient(error)` holds, with exponential backoff.
 *
 * ```ts
 * await withRetry(() => copyTable(t), policy, { isTransient: isTransientPgError })
 * ```
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  options: { isTransient: (error: unknown) => boolean; onRetry?: (error: unknown, attempt: number, delayMs: number) => void },
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (error) {
      if (attempt >= policy.maxRetries || !options.isTransient(error)) throw error
      const delayMs = Math.min(30_000, policy.delaySeconds * 1000 * 2 ** attempt)
      options.onRetry?.(error, attempt + 1, delayMs)
      await sleep(delayMs)
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
