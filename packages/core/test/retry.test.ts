import { describe, expect, it } from 'vitest'
import { withRetry } from '../src/index.ts'

describe('withRetry', () => {
  it('retries a transient failure with backoff, then succeeds', async () => {
    const attempts: number[] = []
    const delays: number[] = []
    const result = await withRetry(
      async (attempt) => {
        attempts.push(attempt)
        if (attempt < 2) throw new Error('transient')
        return 'done'
      },
      { maxRetries: 3, delaySeconds: 0.01 },
      { isTransient: () => true, onRetry: (_e, _a, ms) => delays.push(ms) },
    )
    expect(result).toBe('done')
    expect(attempts).toEqual([0, 1, 2])
    expect(delays).toEqual([10, 20])
  })

  // without the signal the wait is 30 s and the test times out after 5 s
  it('ends the wait before a retry as soon as the signal aborts, and lets the next attempt stop', { timeout: 5000 }, async () => {
    const controller = new AbortController()
    const attempts: number[] = []
    const result = await withRetry(
      async (attempt) => {
        attempts.push(attempt)
        if (controller.signal.aborted) return 'stopped'
        throw new Error('transient')
      },
      { maxRetries: 5, delaySeconds: 30 },
      { isTransient: () => true, onRetry: () => setTimeout(() => controller.abort(), 50), signal: controller.signal },
    )
    expect(result).toBe('stopped')
    expect(attempts).toEqual([0, 1])
  })
})
