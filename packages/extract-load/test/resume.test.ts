import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { EltError } from '@elt/core'
import type { ReplicationEvent } from '../src/index.ts'
import { createTestDatabase } from '@elt/core/testing'
import { createPair, replicatePair, terminateSessions, type Pair } from './helpers.ts'

const bigRows = 300_000

let pair: Pair
beforeAll(async () => {
  pair = await createPair(inject('pgAdminUrl'), 'resume')
  await pair.source.query(`
    create table big (id bigint primary key, label text);
    insert into big select g, repeat('x', 40) || g from generate_series(1, ${bigRows}) g;
    create table small1 (id int primary key, v text);
    insert into small1 select g, 'v' || g from generate_series(1, 200) g;
    create table small2 (id int primary key, v text);
    insert into small2 select g, 'w' || g from generate_series(1, 100) g;
    create table victim (id int primary key);
    insert into victim values (1);`)
})
afterAll(() => pair.drop())

const countOf = async (table: string) => Number((await pair.destination.query<{ n: string }>(`select count(*) as n from ${table}`))[0]?.n)

/** What a kill -9 does to a run's sessions: all of them end at once, and nothing more is recorded. */
async function killRunSessions(): Promise<void> {
  await Promise.all([terminateSessions(pair.source, 'elt-replicate%'), terminateSessions(pair.destination, 'elt-replicate%')])
}

const loadsOf = (runId: string) =>
  pair.destination.query<{ source_table: string; status: string }>(`select source_table, status from _elt.table_loads where run_id = $1 order by 1`, [runId])

/** A run killed by `killWhen`; resolves once the run has stopped, with its events. */
async function killedRun(runId: string, killWhen: (e: ReplicationEvent, seen: ReplicationEvent[]) => boolean): Promise<ReplicationEvent[]> {
  const events: ReplicationEvent[] = []
  let killing: Promise<void> | undefined
  const error = await replicatePair(pair, {
    runId,
    jobs: 2,
    include: ['big', 'small1', 'small2'],
    onEvent: (e) => {
      events.push(e)
      if (killing === undefined && killWhen(e, events)) killing = killRunSessions()
    },
  }).catch((e: unknown) => e)
  await killing
  expect(killing, 'the run was killed').toBeDefined()
  expect(error).toBeInstanceOf(Error)
  return events
}

const finished = (events: ReplicationEvent[], table: string) => events.some((e) => e.type === 'table-finished' && e.source === table)

describe('resuming an interrupted run', () => {
  it('never resumes a run that failed cleanly: the rerun copies every table again', async () => {
    let dropping: Promise<unknown> | undefined
    const failedRun = randomUUID()
    const error = await replicatePair(pair, {
      runId: failedRun,
      jobs: 1, // largest first: big, small1, small2, then victim (dropped meanwhile) fails
      onEvent: (e) => {
        if (e.type === 'table-started' && e.source === 'public.big') dropping ??= pair.source.query('drop table victim')
      },
    }).catch((e: unknown) => e)
    await dropping
    expect(error).toBeInstanceOf(EltError)
    expect(await loadsOf(failedRun)).toEqual([
      { source_table: 'public.big', status: 'done' },
      { source_table: 'public.small1', status: 'done' },
      { source_table: 'public.small2', status: 'done' },
      { source_table: 'public.victim', status: 'error' },
    ])

    await pair.source.query(`create table victim (id int primary key); insert into victim values (1), (2); insert into small1 values (201, 'new')`)
    const { summary, events } = await replicatePair(pair)
    expect(events.filter((e) => e.type === 'table-resumed')).toEqual([])
    expect(summary.tables.map((t) => [t.source, t.rows, t.resumed ?? false])).toEqual([
      ['public.big', bigRows, false],
      ['public.small1', 201, false],
      ['public.small2', 100, false],
      ['public.victim', 2, false],
    ])
    expect(await countOf('raw.small1')).toBe(201)
  })

  it('resumes a killed run once: only the tables it copied itself, naming the run and its snapshot time', async () => {
    // run A: killed while big is copying, after small1 and small2 were swapped in
    const runA = randomUUID()
    await killedRun(runA, (_e, seen) => finished(seen, 'public.small1') && finished(seen, 'public.small2') && !finished(seen, 'public.big'))
    expect(await loadsOf(runA)).toEqual([
      { source_table: 'public.big', status: 'running' },
      { source_table: 'public.small1', status: 'done' },
      { source_table: 'public.small2', status: 'done' },
    ])
    const snapshotA = (await pair.destination.query<{ at: Date }>(`select snapshot_at as at from _elt.replications where run_id = $1`, [runA]))[0]?.at
    expect(snapshotA).toBeInstanceOf(Date)

    // run B takes small1 and small2 over from A, and is killed too, while copying big
    await pair.source.query(`insert into small2 values (101, 'new')`) // not seen: small2 is taken over
    const runB = randomUUID()
    const eventsB = await killedRun(runB, (e) => e.type === 'table-progress' && e.source === 'public.big')
    expect(eventsB.filter((e) => e.type === 'table-resumed')).toEqual([
      { type: 'table-resumed', source: 'public.small1', target: 'raw.small1', rows: 201, bytes: expect.any(Number), fromRunId: runA, snapshotAt: snapshotA?.toISOString() },
      { type: 'table-resumed', source: 'public.small2', target: 'raw.small2', rows: 100, bytes: expect.any(Number), fromRunId: runA, snapshotAt: snapshotA?.toISOString() },
    ])
    expect(await countOf('raw.small2')).toBe(100)

    // run C: B copied nothing itself, so nothing is taken over again; everything is copied as of C's snapshot
    const { summary, events } = await replicatePair(pair, { include: ['big', 'small1', 'small2'] })
    expect(events.filter((e) => e.type === 'table-resumed')).toEqual([])
    expect(summary.tables.map((t) => [t.source, t.rows, t.resumed ?? false])).toEqual([
      ['public.big', bigRows, false],
      ['public.small1', 201, false],
      ['public.small2', 101, false],
    ])
    expect(await countOf('raw.small2')).toBe(101)
    expect(summary.snapshotAt).toBe(
      (await pair.destination.query<{ at: Date }>(`select snapshot_at as at from _elt.replications where run_id = $1`, [summary.runId]))[0]?.at.toISOString(),
    )
  })

  it('takes over with --json naming the run and its snapshot: the summary lists the resumed tables', async () => {
    const runA = randomUUID()
    await killedRun(runA, (_e, seen) => finished(seen, 'public.small1') && finished(seen, 'public.small2') && !finished(seen, 'public.big'))
    const { summary } = await replicatePair(pair, { include: ['big', 'small1', 'small2'] })
    const snapshotA = (await pair.destination.query<{ at: Date }>(`select snapshot_at as at from _elt.replications where run_id = $1`, [runA]))[0]?.at
    const json = JSON.parse(JSON.stringify(summary)) as { tables: Record<string, unknown>[] }
    expect(json.tables.filter((t) => t.resumed === true)).toEqual([
      { source: 'public.small1', target: 'raw.small1', rows: 201, bytes: expect.any(Number), seconds: 0, resumed: true, resumedFrom: runA, snapshotAt: snapshotA?.toISOString(), strategy: 'full', inserted: 0, updated: 0, deleted: 0 },
      { source: 'public.small2', target: 'raw.small2', rows: 101, bytes: expect.any(Number), seconds: 0, resumed: true, resumedFrom: runA, snapshotAt: snapshotA?.toISOString(), strategy: 'full', inserted: 0, updated: 0, deleted: 0 },
    ])
  })

  it('never resumes a killed run after another source replicated into the same schema', async () => {
    const other = await createTestDatabase(inject('pgAdminUrl'), 'resume_other')
    try {
      await other.query('create table small1 (id int primary key, v text); insert into small1 select g, \'other\' from generate_series(1, 5) g')
      const runA = randomUUID()
      await killedRun(runA, (_e, seen) => finished(seen, 'public.small1') && finished(seen, 'public.small2') && !finished(seen, 'public.big'))
      await replicatePair({ source: other, destination: pair.destination, drop: async () => {} }, { include: ['small1'] })
      expect(await countOf('raw.small1')).toBe(5)

      const { summary, events } = await replicatePair(pair, { include: ['big', 'small1', 'small2'] })
      expect(events.filter((e) => e.type === 'table-resumed')).toEqual([])
      expect(summary.tables.map((t) => [t.source, t.rows, t.resumed ?? false])).toEqual([
        ['public.big', bigRows, false],
        ['public.small1', 201, false],
        ['public.small2', 101, false],
      ])
      expect(await countOf('raw.small1')).toBe(201)
    } finally {
      await other.drop()
    }
  })
})
