import { rm } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { emptyProject, runElt } from './replicate-helpers.ts'

let source: TestDatabase
let destination: TestDatabase
let env: Record<string, string>
let project: string
beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'cli_incr_src')
  destination = await createTestDatabase(inject('pgAdminUrl'), 'cli_incr_dst')
  await source.query(`create table orders (order_id int primary key, status text, updated_at timestamptz not null);
    insert into orders select g, 'new', timestamptz '2026-12-01 10:00+00' + g * interval '1 minute' from generate_series(1, 30) g;
    create table films (film_id int primary key, title text);
    insert into films values (1, 'A'), (2, 'B');`)
  env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url }
  project = await emptyProject(`export default { replicate: { tables: { 'public.orders': { strategy: 'incremental', cursor: 'updated_at', deletes: 'compare-keys' } } } }\n`)
})
afterAll(async () => {
  await rm(project, { recursive: true, force: true })
  await source.drop()
  await destination.drop()
})

type Table = { source: string; strategy: string; rows: number; inserted: number; updated: number; deleted: number }
const byTable = (stdout: string) => Object.fromEntries((JSON.parse(stdout) as { tables: Table[] }).tables.map((t) => [t.source, { strategy: t.strategy, rows: t.rows, inserted: t.inserted, updated: t.updated, deleted: t.deleted }]))

describe('elt replicate with replicate.tables', () => {
  it('--json says per table which strategy ran and what it moved; the summary shows it; --full-refresh --select copies one table whole again', async () => {
    const first = await runElt(['replicate', '--json'], env, project)
    expect(first.code, first.stderr).toBe(0)
    expect(byTable(first.stdout)).toEqual({
      'public.orders': { strategy: 'incremental', rows: 30, inserted: 30, updated: 0, deleted: 0 },
      'public.films': { strategy: 'full', rows: 2, inserted: 2, updated: 0, deleted: 0 },
    })

    await source.query(`update orders set status = 'paid', updated_at = timestamptz '2026-12-01 12:00+00' where order_id in (1, 2);
                        insert into orders values (31, 'new', timestamptz '2026-12-01 12:01+00'); delete from orders where order_id = 3`)
    const second = await runElt(['replicate'], env, project)
    expect(second.code, second.stderr).toBe(0)
    expect(second.stdout).toMatch(/source\s+target\s+strategy\s+rows\s+inserted\s+updated\s+deleted\s+bytes\s+time/)
    expect(second.stdout).toMatch(/public\.orders\s+raw\.orders\s+incremental\s+3\s+1\s+2\s+1\s/)
    expect(second.stdout).toMatch(/public\.films\s+raw\.films\s+full\s+2\s+2\s+0\s+0\s/)
    expect(await destination.query(`select count(*)::int as n, count(*) filter (where status = 'paid')::int as paid from raw.orders`)).toEqual([{ n: 30, paid: 2 }])

    const refresh = await runElt(['replicate', '--json', '--full-refresh', '--select', 'source:postgres.public.orders'], env, project)
    expect(refresh.code, refresh.stderr).toBe(0)
    expect(byTable(refresh.stdout)).toEqual({ 'public.orders': { strategy: 'incremental', rows: 30, inserted: 30, updated: 0, deleted: 0 } })
    expect(await destination.query(`select mark, run_id::text = $1 as latest from _elt.table_marks where source_table = 'public.orders'`, [JSON.parse(refresh.stdout).runId])).toEqual([
      { mark: ['2026-12-01 12:01:00+00'], latest: true },
    ])
  })

  it('a configured table the source does not have is a usage error (exit 2) naming it', async () => {
    const other = await emptyProject(`export default { replicate: { tables: { 'public.ordrs': { strategy: 'append', cursor: 'id' } } } }\n`)
    try {
      const { code, stderr } = await runElt(['replicate'], env, other)
      expect(code).toBe(2)
      expect(stderr).toContain('sources.postgres.tables names "public.ordrs", which source "postgres" does not replicate.')
    } finally {
      await rm(other, { recursive: true, force: true })
    }
  })
})
