import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { alertReceiver, serviceDatabase, serviceProject, setFlags, startTestService, until } from './service-fixture.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await serviceDatabase(inject('pgAdminUrl'), 'service_api')
})
afterAll(async () => {
  await db.drop()
})

const post = (url: string, body: string, token?: string) =>
  fetch(`${url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body })

describe('elt serve: the API', () => {
  it('POST /api/runs: 401 without the token, 400 on a bad body, 202 with the run id; GET /api/runs/:id follows it to its end', async () => {
    await setFlags(db, { sleep: 1, divisor: 1 })
    const cwd = await serviceProject(`schedules: []`)
    const { service } = await startTestService(db, cwd, { token: 's3cret-token' })
    try {
      const missing = await post(service.url, '{"command":"build"}')
      expect(missing.status).toBe(401)
      expect(await missing.json()).toMatchObject({ error: 'Missing or wrong bearer token.' })
      expect((await post(service.url, '{"command":"build"}', 'wrong')).status).toBe(401)
      for (const [body, error] of [
        ['not json', 'The body is not JSON.'],
        ['{"command":"drop"}', '"command" must be one of run, replicate, build, test, extract, load, got "drop".'],
        ['{"command":"build","date":"yesterday"}', '"date" must be a day such as "2026-11-30".'],
        ['{"command":"build","extra":1}', 'Unknown field(s) "extra": only command, select and date are accepted.'],
      ]) {
        const response = await post(service.url, body!, 's3cret-token')
        expect(response.status, body).toBe(400)
        expect(((await response.json()) as { error: string }).error).toBe(error)
      }
      expect(service.queue.active()).toEqual([])

      const accepted = await post(service.url, '{"command":"build","select":"slow"}', 's3cret-token')
      expect(accepted.status).toBe(202)
      const { runId, status } = (await accepted.json()) as { runId: string; status: string }
      expect(status).toMatch(/^(queued|running)$/)
      const running = await until('the run running', async () => {
        const live = (await (await fetch(`${service.url}/api/runs/${runId}`)).json()) as { status: string; state: string }
        return live.state === 'running' ? live : undefined
      })
      expect(running).toMatchObject({ status: 'running', command: 'build', select: 'slow', startedBy: 'api' })
      const done = await until('the run finished', async () => {
        const live = (await (await fetch(`${service.url}/api/runs/${runId}`)).json()) as { state: string; status: string }
        return live.state === 'finished' ? live : undefined
      })
      expect(done).toMatchObject({ status: 'success', id: runId })
      expect(await db.query(`select status, started_by from _elt.runs where run_id = $1`, [runId])).toEqual([{ status: 'success', started_by: 'api' }])
    } finally {
      await service.stop()
    }
  })

  it('an alert endpoint that refuses connections or answers 500 does not fail the run; the failure is logged', async () => {
    await setFlags(db, { sleep: 0, divisor: 0 })
    const failing = await alertReceiver(500)
    const refused = await alertReceiver()
    await refused.close() // nothing listens there any more: connection refused
    const cwd = await serviceProject(
      `alerts: [{ on: ['failure'], webhook: { url: ${JSON.stringify(failing.url)}, timeoutSeconds: 2, retries: 1 } },
                { on: ['failure'], webhook: { url: ${JSON.stringify(refused.url)}, timeoutSeconds: 2, retries: 1 } }]`,
    )
    const { service, logs } = await startTestService(db, cwd, { token: 't' })
    try {
      const { runId } = (await (await post(service.url, '{"command":"build","select":"flaky"}', 't')).json()) as { runId: string }
      const run = await service.queue.finished(runId)
      expect(run.outcome).toBe('error')
      await until('both alerts given up', async () => logs.filter((l) => l.includes('Could not send the failure alert')).length === 2)
      expect(failing.bodies).toHaveLength(2) // first attempt + 1 retry
      expect(failing.bodies[0]).toMatchObject({ event: 'failure', runId, schedule: null, command: 'build', startedBy: 'api' })
      const sendLogs = logs.filter((l) => l.includes('Could not send')).join('\n')
      expect(sendLogs).toContain('failed 2 time(s), last: HTTP 500')
      expect(sendLogs).toMatch(/failed 2 time\(s\), last: .*ECONNREFUSED/)
      // the run is recorded as the child recorded it, the service goes on
      expect(await db.query(`select status from _elt.runs where run_id = $1`, [runId])).toEqual([{ status: 'error' }])
      const health = await fetch(`${service.url}/healthz`)
      expect(health.status).toBe(200)
      expect(await health.json()).toMatchObject({ status: 'ok', destination: 'reachable', running: [], queued: 0 })
    } finally {
      await service.stop()
      await failing.close()
    }
  })

  it('timeoutSeconds cancels an overrunning run, recorded timed_out', async () => {
    await setFlags(db, { sleep: 30, divisor: 1 })
    const cwd = await serviceProject(`schedules: []`)
    const { service } = await startTestService(db, cwd)
    try {
      const queued = service.enqueue({ command: 'build', select: 'slow', startedBy: 'test', timeoutSeconds: 3 })
      const run = await service.queue.finished(queued.runId)
      expect(run.outcome).toBe('timed_out')
      const [row] = await db.query<{ status: string; message: string }>(`select status, message from _elt.runs where run_id = $1`, [queued.runId])
      expect(row).toEqual({ status: 'timed_out', message: "Cancelled by elt serve after 3 s (the schedule's timeoutSeconds)." })
      expect(await db.query(`select count(*)::int as n from pg_stat_activity where query like '%pg_sleep%' and pid <> pg_backend_pid()`)).toEqual([{ n: 0 }])
    } finally {
      await service.stop()
    }
  })

  it('/healthz answers 503 when the destination is unreachable', async () => {
    const gone = await createTestDatabase(inject('pgAdminUrl'), 'service_gone')
    const cwd = await serviceProject(`schedules: []`)
    const { service } = await startTestService(gone, cwd)
    try {
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200)
      await gone.drop()
      const health = await fetch(`${service.url}/healthz`)
      expect(health.status).toBe(503)
      expect(await health.json()).toMatchObject({ status: 'unavailable', destination: expect.stringContaining(gone.name) })
    } finally {
      await service.stop()
    }
  })
})
