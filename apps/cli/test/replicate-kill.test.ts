import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { connectClient, sleep } from '@elt/core'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { runElt, spawnElt } from './replicate-helpers.ts'

const bigRows = 300_000

let source: TestDatabase
let destination: TestDatabase
let env: Record<string, string>
beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'kill_src')
  destination = await createTestDatabase(inject('pgAdminUrl'), 'kill_dst')
  await source.query(`
    create table big (id bigint primary key, label text);
    insert into big select g, 'row ' || g || repeat('.', 30) from generate_series(1, ${bigRows}) g;
    create table small1 (id int primary key, v text);
    insert into small1 select g, 'v' || g from generate_series(1, 100) g;
    create table small2 (id int primary key);
    insert into small2 select generate_series(1, 10);`)
  env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url }
})
afterAll(async () => {
  await source.drop()
  await destination.drop()
})

const count = async (db: TestDatabase, table: string) => Number((await db.query<{ n: string }>(`select count(*) as n from ${table}`))[0]?.n)
const oidOf = async (table: string) => (await destination.query<{ oid: number }>(`select $1::regclass::oid::int as oid`, [table]))[0]?.oid

describe('elt replicate killed with SIGKILL mid-table', () => {
  it('keeps the previous copy, and the rerun completes without redoing finished tables', async () => {
    expect((await runElt(['replicate'], env)).code).toBe(0)
    await source.query(`insert into big select g, 'new ' || g from generate_series(${bigRows + 1}, ${bigRows + 10_000}) g; insert into small1 values (101, 'new')`)

    // A reader holds raw.big open for the whole of run 2: it must see the previous copy, and it keeps big's swap
    // waiting, so the kill always lands while big's load is in flight (mid-COPY as a rule, at worst before its commit).
    const reader = await connectClient({ label: 'destination', url: destination.url })
    await reader.query('begin')
    expect(Number((await reader.query<{ n: string }>('select count(*) as n from raw.big')).rows[0]?.n)).toBe(bigRows)

    // Run 2, as a real process, killed in the middle of big
    const run = spawnElt(['replicate', '--jobs', '2'], env)
    const stderr = () => run.stderr()
    const smallDone = (t: string) => new RegExp(`public\\.${t} → raw\\.${t}\\s+\\d+ rows`).test(stderr())
    let killedDuring: 'copy' | 'swap' | undefined
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && run.child.exitCode === null; await sleep(20)) {
      const progress = await destination.query<{ n: string }>(
        `select coalesce(max(tuples_processed), 0) as n from pg_stat_progress_copy where datname = current_database() and command = 'COPY FROM'`,
      )
      const tuples = Number(progress[0]?.n)
      const swapWaiting = (
        await destination.query(`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ilike 'DROP TABLE%'`)
      ).length > 0
      if (smallDone('small1') && smallDone('small2') && (tuples > 20_000 || swapWaiting)) {
        killedDuring = tuples > 20_000 && tuples < bigRows + 10_000 ? 'copy' : 'swap'
        run.child.kill('SIGKILL')
        break
      }
    }
    const ended = await run.exited
    expect(Number((await reader.query<{ n: string }>('select count(*) as n from raw.big')).rows[0]?.n)).toBe(bigRows)
    await reader.query('commit')
    await reader.end()
    expect(ended.signal, stderr()).toBe('SIGKILL')
    expect(['copy', 'swap']).toContain(killedDuring)

    // the killed load's backend goes away; the previous copy of big is intact and nothing half-loaded is visible
    for (let i = 0; i < 100; i++) {
      const active = await destination.query(`select 1 from pg_stat_activity where datname = current_database() and application_name like 'elt-replicate%'`)
      if (active.length === 0) break
      await sleep(100)
    }
    expect(await count(destination, 'raw.big')).toBe(bigRows)
    expect(await count(destination, 'raw.small1')).toBe(101)
    const leftovers = await destination.query(`select relname from pg_class where relname like 'elt_new_%'`)
    expect(leftovers).toEqual([])
    const killed = await destination.query<{ source_table: string; status: string }>(
      `select source_table, status from _elt.table_loads
        where run_id = (select run_id from _elt.replications order by started_at desc limit 1) order by 1`,
    )
    expect(killed).toEqual([
      { source_table: 'public.big', status: 'running' },
      { source_table: 'public.small1', status: 'done' },
      { source_table: 'public.small2', status: 'done' },
    ])
    const smallOids = [await oidOf('raw.small1'), await oidOf('raw.small2')]

    // Run 3: resumes
    const rerun = await runElt(['replicate', '--json'], env)
    expect(rerun.code).toBe(0)
    const summary = JSON.parse(rerun.stdout) as { tables: { source: string; rows: number; resumed?: boolean }[] }
    expect(summary.tables.map((t) => [t.source, t.rows, t.resumed === true]).sort()).toEqual([
      ['public.big', bigRows + 10_000, false],
      ['public.small1', 101, true],
      ['public.small2', 10, true],
    ])
    expect([await oidOf('raw.small1'), await oidOf('raw.small2')]).toEqual(smallOids)
    for (const table of ['big', 'small1', 'small2']) expect(await count(destination, `raw.${table}`), table).toBe(await count(source, `public.${table}`))
    const { n, distinct } = (await destination.query<{ n: string; distinct: string }>('select count(*) as n, count(distinct id) as distinct from raw.big'))[0]!
    expect(Number(distinct)).toBe(Number(n))

    // a later run after a success copies everything again
    const again = JSON.parse((await runElt(['replicate', '--json'], env)).stdout) as { tables: { resumed?: boolean }[] }
    expect(again.tables.every((t) => t.resumed === undefined)).toBe(true)
  })
})
