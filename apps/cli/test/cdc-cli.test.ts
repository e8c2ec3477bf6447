import { rm } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '@elt/core/testing'
import { emptyProject, runElt, spawnElt } from './replicate-helpers.ts'

let server: TestServer
let source: TestDatabase
let destination: TestDatabase
let env: Record<string, string>
let project: string
beforeAll(async () => {
  server = await startTestServer(process.env, { walLevel: 'logical' })
  source = await createTestDatabase(server.adminUrl, 'cli_cdc_src')
  destination = await createTestDatabase(server.adminUrl, 'cli_cdc_dst')
  await source.query(`create table accounts (id int primary key, name text); insert into accounts select g, 'a' || g from generate_series(1, 20) g;
    create table films (film_id int primary key, title text); insert into films values (1, 'A')`)
  env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url }
  project = await emptyProject(`export default { replicate: { tables: { 'public.accounts': { strategy: 'cdc' } } } }\n`)
})
afterAll(async () => {
  await runElt(['cdc', 'drop'], env, project).catch(() => {})
  await rm(project, { recursive: true, force: true })
  await source?.drop()
  await destination?.drop()
  await server?.stop()
})

type Table = { source: string; strategy: string; rows: number; inserted: number; updated: number; deleted: number }
const byTable = (stdout: string) => Object.fromEntries((JSON.parse(stdout) as { tables: Table[] }).tables.map((t) => [t.source, { strategy: t.strategy, rows: t.rows, inserted: t.inserted, updated: t.updated, deleted: t.deleted }]))

describe('elt replicate with strategy cdc', () => {
  it('copies the cdc table through its slot, then applies the changes; --follow stops on SIGINT with exit 0; cdc status and drop', async () => {
    const first = await runElt(['replicate', '--json'], env, project)
    expect(first.code, first.stderr).toBe(0)
    expect(byTable(first.stdout)).toEqual({
      'public.films': { strategy: 'full', rows: 1, inserted: 1, updated: 0, deleted: 0 },
      'public.accounts': { strategy: 'cdc', rows: 20, inserted: 20, updated: 0, deleted: 0 },
    })

    await source.query(`update accounts set name = 'renamed' where id = 1; delete from accounts where id = 2; insert into accounts values (21, 'new')`)
    const second = await runElt(['replicate', '--json'], env, project)
    expect(second.code, second.stderr).toBe(0)
    expect(byTable(second.stdout)['public.accounts']).toEqual({ strategy: 'cdc', rows: 3, inserted: 1, updated: 1, deleted: 1 })
    expect(await destination.query(`select id, name from raw.accounts where id in (1, 2, 21) order by id`)).toEqual([{ id: 1, name: 'renamed' }, { id: 21, name: 'new' }])
    // the run's LSN window per changed table, for source_status:fresher+
    expect(await destination.query(`select target_table, strategy, full_copy, inserted::int, updated::int, deleted::int, (to_mark->>'lsn')::pg_lsn > (from_mark->>'lsn')::pg_lsn as moved from _elt.table_changes where run_id = $1 and source_table = 'public.accounts'`, [JSON.parse(second.stdout).runId])).toEqual([
      { target_table: 'raw.accounts', strategy: 'cdc', full_copy: false, inserted: 1, updated: 1, deleted: 1, moved: true },
    ])

    const status = await runElt(['cdc', 'status', '--json'], env, project)
    expect(status.code, status.stderr).toBe(0)
    expect(JSON.parse(status.stdout).pipelines).toMatchObject([{ source: 'postgres', slot: 'elt_postgres', publication: 'elt_postgres', exists: true, active: false, tables: ['public.accounts'] }])

    const follow = spawnElt(['replicate', '--follow', '--config', path.join(project, 'elt.config.ts')], env)
    try {
      const deadline = Date.now() + 30_000
      await source.query(`insert into accounts values (22, 'followed')`)
      while ((await destination.query(`select 1 from raw.accounts where id = 22`)).length === 0) {
        if (Date.now() > deadline) throw new Error(`--follow did not apply the insert within 30 s: ${follow.stderr()}`)
        await new Promise((r) => setTimeout(r, 100))
      }
      follow.child.kill('SIGINT')
      const exited = await Promise.race([follow.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('--follow did not stop within 20 s of SIGINT')), 20_000))])
      expect(exited.code, follow.stderr()).toBe(0)
    } finally {
      follow.child.kill('SIGKILL')
    }

    const drop = await runElt(['cdc', 'drop', '--json'], env, project)
    expect(drop.code, drop.stderr).toBe(0)
    expect(JSON.parse(drop.stdout).pipelines).toMatchObject([{ source: 'postgres', dropped: { slot: true, publication: true } }])
    expect(await source.query(`select 1 from pg_replication_slots where slot_name = 'elt_postgres'`)).toEqual([])
  })

  it('--full-refresh --select one cdc table copies it alone (strategy cdc, the full copy counted); the other cdc table streams on', async () => {
    const both = await emptyProject(`export default { replicate: { tables: { 'public.accounts': { strategy: 'cdc' }, 'public.films': { strategy: 'cdc' } } } }\n`)
    try {
      const first = await runElt(['replicate', '--json'], env, both)
      expect(first.code, first.stderr).toBe(0)
      const films = await source.query<{ n: number }>('select count(*)::int as n from films')
      const accounts = await source.query<{ n: number }>('select count(*)::int as n from accounts')
      await source.query(`update accounts set name = 'refreshed' where id = 1`)
      const refresh = await runElt(['replicate', '--full-refresh', '--select', 'source:postgres.public.films', '--json'], env, both)
      expect(refresh.code, refresh.stderr).toBe(0)
      expect(byTable(refresh.stdout)).toEqual({
        'public.films': { strategy: 'cdc', rows: films[0]!.n, inserted: films[0]!.n, updated: 0, deleted: 0 },
        'public.accounts': { strategy: 'cdc', rows: 1, inserted: 0, updated: 1, deleted: 0 },
      })
      expect(refresh.stderr).toMatch(/copying public\.films \(full refresh\) alone; the slot "elt_postgres" goes on for the other tables/)
      expect(await destination.query<{ n: number }>('select count(*)::int as n from raw.accounts')).toEqual(accounts)
      expect(await destination.query(`select name from raw.accounts where id = 1`)).toEqual([{ name: 'refreshed' }])
    } finally {
      await runElt(['cdc', 'drop'], env, both).catch(() => {})
      await rm(both, { recursive: true, force: true })
    }
  })

  it('--full-refresh --select with a glob: a glob matching only a cdc table refreshes it alone; one matching both kinds copies the full table and refreshes the cdc one', async () => {
    const mixed = await emptyProject(`export default { replicate: { tables: { 'public.accounts': { strategy: 'cdc' } } } }\n`)
    try {
      const first = await runElt(['replicate', '--json'], env, mixed)
      expect(first.code, first.stderr).toBe(0)
      const oid = async (table: string) => (await destination.query<{ oid: number }>(`select $1::regclass::oid::int as oid`, [table]))[0]!.oid
      const accounts = await oid('raw.accounts')
      await source.query(`update accounts set name = 'globbed' where id = 3`)

      // a selection without a cdc table leaves the stream alone: the change to accounts stays pending
      const onlyFilms = await runElt(['replicate', '--select', 'source:postgres.films', '--json'], env, mixed)
      expect(onlyFilms.code, onlyFilms.stderr).toBe(0)
      expect(Object.keys(byTable(onlyFilms.stdout))).toEqual(['public.films'])
      expect(await destination.query(`select name from raw.accounts where id = 3`)).toEqual([{ name: 'a3' }])
      const films = await oid('raw.films')

      const onlyCdc = await runElt(['replicate', '--full-refresh', '--select', 'source:post*.public.acc*', '--json'], env, mixed)
      expect(onlyCdc.code, onlyCdc.stderr).toBe(0)
      const count = (await source.query<{ n: number }>('select count(*)::int as n from accounts'))[0]!.n
      expect(byTable(onlyCdc.stdout)).toEqual({ 'public.accounts': { strategy: 'cdc', rows: count, inserted: count, updated: 0, deleted: 0 } })
      expect(await oid('raw.accounts')).not.toBe(accounts)
      expect(await oid('raw.films')).toBe(films)
      expect(await destination.query(`select name from raw.accounts where id = 3`)).toEqual([{ name: 'globbed' }])

      const both = await runElt(['replicate', '--full-refresh', '--select', 'source:postgres.public.*', '--json'], env, mixed)
      expect(both.code, both.stderr).toBe(0)
      const filmCount = (await source.query<{ n: number }>('select count(*)::int as n from films'))[0]!.n
      expect(byTable(both.stdout)).toEqual({
        'public.films': { strategy: 'full', rows: filmCount, inserted: filmCount, updated: 0, deleted: 0 },
        'public.accounts': { strategy: 'cdc', rows: count, inserted: count, updated: 0, deleted: 0 },
      })
      expect(await oid('raw.films')).not.toBe(films)
      expect(await destination.query<{ n: number }>('select count(*)::int as n from raw.accounts')).toEqual([{ n: count }])
    } finally {
      await runElt(['cdc', 'drop'], env, mixed).catch(() => {})
      await rm(mixed, { recursive: true, force: true })
    }
  })

  it('a table that cannot be loaded fails the replicate (exit 1, named) without holding back the cdc slot; a source that cannot be reached stops it at once', async () => {
    const src = await createTestDatabase(server.adminUrl, 'cli_cdc_part_src')
    const dst = await createTestDatabase(server.adminUrl, 'cli_cdc_part_dst')
    const parts = await emptyProject(`export default { replicate: { tables: { 'public.accounts': { strategy: 'cdc' }, 'public.orders': { strategy: 'incremental', cursor: 'id' } } } }\n`)
    const partEnv = { SOURCE_DATABASE_URL: src.url, DESTINATION_DATABASE_URL: dst.url }
    try {
      await src.query(`create table accounts (id int primary key, name text); insert into accounts values (1, 'a');
        create table orders (id int primary key, amount int, note text); insert into orders values (1, 10, 'x');
        create table small (id int primary key); insert into small values (1)`)
      const first = await runElt(['replicate', '--json'], partEnv, parts)
      expect(first.code, first.stderr).toBe(0)

      // orders: a column dropped, which a merge cannot follow; accounts: a change on the stream
      await src.query(`alter table orders drop column note; insert into orders values (2, 20); update accounts set name = 'changed' where id = 1`)
      const before = (await src.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn'))[0]!.lsn
      const failed = await runElt(['replicate', '--json'], partEnv, parts)
      expect(failed.code).toBe(1)
      // --json: the failure, with what was done beside it
      const report = JSON.parse(failed.stdout) as { status: string; error: string; tables: Table[] }
      expect(report).toMatchObject({ status: 'error', error: expect.stringMatching(/^public\.orders changed in a way raw\.orders cannot follow by merging/) })
      // the tables loaded beside the failed one, then the failed one with its error (the service's alerts list it)
      expect(Object.fromEntries(report.tables.map((t) => [t.source, t]))).toEqual({
        'public.small': expect.objectContaining({ strategy: 'full', rows: 1, inserted: 1, updated: 0, deleted: 0 }),
        'public.orders': { source: 'public.orders', target: 'raw.orders', sourceName: 'postgres', status: 'error', error: expect.stringMatching(/^public\.orders changed in a way raw\.orders cannot follow/) },
        'public.accounts': expect.objectContaining({ strategy: 'cdc', rows: 1, inserted: 0, updated: 1, deleted: 0 }),
      })
      expect(failed.stderr).toContain('error: public.orders changed in a way raw.orders cannot follow by merging: column "note" was dropped or renamed in the source.')
      // its progress line says so when it happens, the error at the end says what to do
      expect(failed.stderr).toContain('public.orders → raw.orders  failed: public.orders changed in a way raw.orders cannot follow by merging: column "note" was dropped or renamed in the source.\n')
      expect(failed.stderr).toMatch(/cdc postgres: 1 changes in 1 transactions applied/)
      expect(await dst.query(`select name from raw.accounts`)).toEqual([{ name: 'changed' }])
      expect(await dst.query(`select id from raw.orders order by id`)).toEqual([{ id: 1 }])
      // the slot moved past those changes: it does not wait for orders to be fixed
      expect(await src.query(`select confirmed_flush_lsn >= $1::pg_lsn as moved from pg_replication_slots where slot_name = 'elt_postgres'`, [before])).toEqual([{ moved: true }])

      // a source that cannot be reached: one error, the cdc pipeline not tried after it
      const unreachable = await runElt(['replicate'], { ...partEnv, SOURCE_DATABASE_URL: 'postgres://nobody:secret@127.0.0.1:1/none' }, parts)
      expect(unreachable.code).toBe(1)
      expect(unreachable.stderr).toContain('Could not reach the source database at 127.0.0.1:1')
      expect(unreachable.stderr).not.toMatch(/parts of the replication failed|cdc postgres/)
      expect(unreachable.stderr).not.toContain('secret')
    } finally {
      await runElt(['cdc', 'drop'], partEnv, parts).catch(() => {})
      await rm(parts, { recursive: true, force: true })
      await src.drop()
      await dst.drop()
    }
  })

  it('cdc takes status or drop; --follow needs a cdc table', async () => {
    const bad = await runElt(['cdc', 'list'], env, project)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('takes status or drop')
    const plain = await emptyProject('export default {}\n')
    try {
      const follow = await runElt(['replicate', '--follow'], env, plain)
      expect(follow.code).toBe(2)
      expect(follow.stderr).toContain("--follow streams the tables with strategy 'cdc', and the config has none.")
      const films = await runElt(['replicate', '--follow', '--select', 'source:postgres.films'], env, project)
      expect(films.code).toBe(2)
      expect(films.stderr).toContain("--follow streams the tables with strategy 'cdc', and --select/--exclude leave none of them.")
      expect(films.stderr).toContain('The cdc tables: source:postgres.public.accounts.')
    } finally {
      await rm(plain, { recursive: true, force: true })
    }
  })
})
