import os from 'node:os'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import {
  connectClient,
  describeError,
  effectiveRunStatusSql,
  EltError,
  finishRun,
  lockTarget,
  markAbandonedRuns,
  startRun,
  type TargetLockHolder,
} from '../src/index.ts'
import { createTestDatabase, type TestDatabase } from '../src/testing/index.ts'

let db: TestDatabase
const clients: pg.Client[] = []
const connect = async () => {
  const client = await connectClient({ label: 'destination', url: db.url }, { applicationName: 'run-state-test' })
  clients.push(client)
  return client
}
/** Ends a session the way a killed process does: its socket closes, no goodbye. */
const killSession = async (client: pg.Client) => {
  const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid
  client.on('error', () => {})
  ;(client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy()
  for (let i = 0; i < 200; i++) {
    if ((await db.query('select 1 from pg_stat_activity where pid = $1', [pid])).length === 0) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`backend ${pid} did not go away`)
}
const effective = async (runId: string) =>
  (await db.query<{ status: string }>(`select ${effectiveRunStatusSql('r.status', 'r.run_id')} as status from _elt.runs r where run_id = $1`, [runId]))[0]?.status
const stored = async (runId: string) => (await db.query<{ status: string; message: string | null; finished_at: Date | null }>(`select status, message, finished_at from _elt.runs where run_id = $1`, [runId]))[0]

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'run_state')
})
afterAll(async () => {
  for (const client of clients) await client.end().catch(() => {})
  await db.drop()
})

describe('runs whose process is gone', () => {
  it('records pid, host and user, and marks a run abandoned only once its session is gone', async () => {
    const killed = await connect()
    const runId = await startRun(killed, { command: 'replicate', startedBy: 'cli' })
    expect(await db.query(`select status, pid, host, os_user, started_by from _elt.runs where run_id = $1`, [runId])).toEqual([
      { status: 'running', pid: process.pid, host: os.hostname(), os_user: os.userInfo().username, started_by: 'cli' },
    ])
    const finished = await connect()
    const doneId = await startRun(finished, { command: 'build' })
    await finishRun(finished, doneId, { status: 'success' })

    // alive: another run starting leaves it alone
    const other = await connect()
    const liveId = await startRun(other, { command: 'build' })
    expect(await stored(runId)).toMatchObject({ status: 'running' })
    expect(await effective(runId)).toBe('running')

    await killSession(killed)
    // a reader sees it abandoned before anyone writes it
    expect(await effective(runId)).toBe('abandoned')
    expect(await stored(runId)).toMatchObject({ status: 'running' })

    // the next run to start records it, naming the process; finished and live runs are untouched
    const next = await connect()
    await startRun(next, { command: 'build' })
    const row = await stored(runId)
    expect(row?.status).toBe('abandoned')
    expect(row?.finished_at).toBeNull()
    expect(row?.message).toContain(`pid ${process.pid} on ${os.hostname()}`)
    expect(await stored(doneId)).toMatchObject({ status: 'success' })
    expect(await stored(liveId)).toMatchObject({ status: 'running' })
    expect(await markAbandonedRuns(next)).toEqual([])
  })

  it('a finished run releases its liveness lock', async () => {
    const client = await connect()
    const runId = await startRun(client, { command: 'build' })
    await finishRun(client, runId, { status: 'error', message: 'boom' })
    await db.query(`update _elt.runs set status = 'running' where run_id = $1`, [runId]) // as if it had never recorded an end
    expect(await effective(runId)).toBe('abandoned')
  })
})

describe('lockTarget', () => {
  it('refuses a second writer at once, naming the run that holds the target', async () => {
    const holder = await connect()
    await lockTarget(holder, 'analytics')
    const runId = await startRun(holder, { command: 'build', target: 'prod', startedBy: 'schedule nightly' })
    const second = await connect()
    const error = await lockTarget(second, 'analytics', { hint: 'Add --wait.' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EltError)
    expect((error as EltError).exitCode).toBe(1)
    const text = describeError(error)
    expect(text).toMatch(new RegExp(`^The target "analytics" is locked: held by run ${runId} \\(build, target prod, schedule nightly\\) started \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC by \\S+ on host ${os.hostname()} \\(pid ${process.pid}\\)\\. Add --wait\\.$`))
    // another target is free
    const release = await lockTarget(second, 'analytics_dev')
    await release()
    await finishRun(holder, runId, { status: 'success' })
    await holder.end()
  })

  it('names a session that holds the lock without a run', async () => {
    const holder = await connect()
    await lockTarget(holder, 'staging')
    const pid = (await holder.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid
    const error = await lockTarget(await connect(), 'staging').catch((e: unknown) => e)
    expect(describeError(error)).toContain(`held by database session ${pid} "run-state-test" connected since`)
    await holder.end()
  })

  it('with wait, takes the lock once the holder is killed, having said whom it waits for', async () => {
    const holder = await connect()
    await lockTarget(holder, 'marts')
    const runId = await startRun(holder, { command: 'run', target: 'prod' })
    const waiter = await connect()
    const seen: TargetLockHolder[] = []
    let acquired = false
    const waiting = lockTarget(waiter, 'marts', { wait: true, pollMs: 50, onWait: (h) => seen.push(h) }).then((release) => {
      acquired = true
      return release
    })
    for (let i = 0; i < 200 && seen.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 25))
    expect(seen.map((h) => h.run?.runId)).toEqual([runId])
    expect(acquired).toBe(false)
    await killSession(holder)
    const release = await waiting
    expect(acquired).toBe(true)
    const held = await db.query<{ n: number }>(
      `select count(*)::int as n from pg_locks where locktype = 'advisory' and granted and classid = hashtext('elt:target')::oid and objid = hashtext('marts')::oid`,
    )
    expect(held).toEqual([{ n: 1 }])
    await release()
  })

  it('stops waiting when cancelled', async () => {
    const holder = await connect()
    await lockTarget(holder, 'cancel_me')
    const controller = new AbortController()
    const waiting = lockTarget(await connect(), 'cancel_me', { wait: true, pollMs: 50, signal: controller.signal, onWait: () => controller.abort(new EltError('Cancelled by the user (Ctrl-C).')) })
    expect(describeError(await waiting.catch((e: unknown) => e))).toBe('Cancelled by the user (Ctrl-C).')
    await holder.end()
  })
})
