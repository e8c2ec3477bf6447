import { describe, expect, it } from 'vitest'
import { renderReplicationSummary, renderTableEvent } from '../src/output/replication-summary.ts'

describe('replication summary', () => {
  it('names the interrupted run and the snapshot the resumed tables come from', () => {
    const text = renderReplicationSummary({
      runId: 'b0000000-0000-4000-8000-000000000002',
      status: 'success',
      seconds: 1.5,
      snapshotAt: '2026-12-01T14:10:00.123Z',
      tables: [
        { source: 'public.big', target: 'raw.big', rows: 10, bytes: 100, seconds: 1.2 },
        { source: 'public.small', target: 'raw.small', rows: 5, bytes: 50, seconds: 0, resumed: true, resumedFrom: 'a0000000-0000-4000-8000-000000000001', snapshotAt: '2026-12-01T14:02:03.456Z' },
      ],
    })
    expect(text).toContain('resumed: public.small copied by interrupted run a0000000-0000-4000-8000-000000000001 as of its snapshot of 2026-12-01 14:02:03 UTC, not copied again')
    const line = renderTableEvent({ type: 'table-resumed', source: 'public.small', target: 'raw.small', rows: 5, bytes: 50, fromRunId: 'a0000000-0000-4000-8000-000000000001', snapshotAt: null })
    expect(line).toBe('public.small → raw.small  already copied by interrupted run a0000000-0000-4000-8000-000000000001 (5 rows), skipped')
  })

  it('says nothing about resuming when no table was resumed', () => {
    const text = renderReplicationSummary({ runId: 'r', status: 'success', seconds: 1, tables: [{ source: 'public.a', target: 'raw.a', rows: 1, bytes: 1, seconds: 0.1 }] })
    expect(text).not.toContain('resumed')
  })
})
