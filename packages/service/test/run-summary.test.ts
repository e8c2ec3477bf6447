import { describe, expect, it } from 'vitest'
import { failedParts, parseRunSummary } from '../src/run-summary.ts'

describe("a child run's --json summary", () => {
  it("names the failed tables of a replicate that went on past them (each as { source, target, status: 'error', error } after the loaded ones)", () => {
    const stdout = JSON.stringify({
      runId: 'r1',
      status: 'error',
      tables: [
        { source: 'public.small', target: 'raw.small', sourceName: 'postgres', kind: 'postgres', rows: 1, bytes: 20, seconds: 0.01, strategy: 'full', inserted: 1, updated: 0, deleted: 0 },
        { source: 'public.orders', target: 'raw.orders', sourceName: 'postgres', status: 'error', error: 'public.orders changed in a way raw.orders cannot follow by merging: column "note" was dropped.' },
      ],
      error: 'public.orders changed in a way raw.orders cannot follow by merging: column "note" was dropped.',
    })
    expect(failedParts(parseRunSummary(stdout))).toEqual([
      { kind: 'table', name: 'raw.orders', status: 'error', message: 'public.orders changed in a way raw.orders cannot follow by merging: column "note" was dropped.' },
    ])
  })

  it('is nothing for a child that printed no JSON', () => {
    expect(parseRunSummary('error: something\n')).toBeUndefined()
    expect(failedParts(undefined)).toEqual([])
  })
})
