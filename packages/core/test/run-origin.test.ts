import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { connectClient, finishRun, setRunOrigin, startRun } from '../src/index.ts'
import { createTestDatabase, type TestDatabase } from '../src/testing/index.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'core_run_origin')
})
afterAll(async () => {
  setRunOrigin({})
  await db.drop()
})

describe('setRunOrigin (elt serve → the CLI it starts)', () => {
  it('the preset id names the next run only; what started it is kept on every run; a timed_out run can be recorded', async () => {
    const client = await connectClient({ label: 'destination', url: db.url })
    try {
      const presetId = randomUUID()
      setRunOrigin({ runId: presetId, startedBy: 'schedule nightly' })
      const first = await startRun(client, { command: 'build', target: 'prod' })
      const second = await startRun(client, { command: 'test', target: 'prod' })
      expect(first).toBe(presetId)
      expect(second).not.toBe(presetId)
      setRunOrigin({})
      const third = await startRun(client, { command: 'test' })
      for (const id of [first, second, third]) await finishRun(client, id, { status: 'success' })
      await client.query(`update _elt.runs set status = 'timed_out' where run_id = $1`, [second])
      const rows = await db.query<{ run_id: string; started_by: string | null; status: string }>(`select run_id::text, started_by, status from _elt.runs order by started_at`)
      expect(rows).toEqual([
        { run_id: presetId, started_by: 'schedule nightly', status: 'success' },
        { run_id: second, started_by: 'schedule nightly', status: 'timed_out' },
        { run_id: third, started_by: null, status: 'success' },
      ])
    } finally {
      await client.end()
    }
  })
})
