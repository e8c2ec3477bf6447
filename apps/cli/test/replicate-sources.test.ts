import { mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { emptyProject, runElt } from './replicate-helpers.ts'

let source: TestDatabase
let destination: TestDatabase
let env: Record<string, string>
let project: string
beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'cli_srcs_src')
  destination = await createTestDatabase(inject('pgAdminUrl'), 'cli_srcs_dst')
  await source.query(`create table films (film_id serial primary key, title text not null);
    insert into films (title) select 'Film ' || g from generate_series(1, 12) g;`)
  env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url }
  // a postgres source and a CSV source (path relative to the config file) with one bad row quarantined
  project = await emptyProject(
    `export default { sources: { postgres: { kind: 'postgres' }, sales: { kind: 'csv', path: 'data/sales.csv', table: 'sales', columns: { qty: 'integer' }, onError: 'quarantine' } } }\n`,
  )
  await mkdir(path.join(project, 'data'))
  await writeFile(path.join(project, 'data', 'sales.csv'), 'film_id,qty,buyer\n1,2,"Doe, Jane"\n2,two,x\n3,1,Zoë\n')
})
afterAll(async () => {
  await rm(project, { recursive: true, force: true })
  await source.drop()
  await destination.drop()
})

describe('elt replicate with several sources', () => {
  it('--select source:<csv> loads only that source', async () => {
    const { code, stdout, stderr } = await runElt(['replicate', '--json', '--select', 'source:sales'], env, project)
    expect(code, stderr).toBe(0)
    const summary = JSON.parse(stdout) as { tables: Record<string, unknown>[] }
    expect(summary.tables).toEqual([
      { source: 'sales.sales', target: 'raw.sales', sourceName: 'sales', kind: 'csv', rows: 2, rejected: 1, bytes: expect.any(Number), seconds: expect.any(Number), strategy: 'full', inserted: 2, updated: 0, deleted: 0 },
    ])
    expect(await destination.query(`select to_regclass('raw.films') is null as none`)).toEqual([{ none: true }])
    expect(await destination.query(`select film_id, qty, buyer from raw.sales order by film_id`)).toEqual([
      { film_id: 1, qty: 2, buyer: 'Doe, Jane' },
      { film_id: 3, qty: 1, buyer: 'Zoë' },
    ])
  })

  it('loads every source without --select, and the summary names each source and counts the rejected rows', async () => {
    const { code, stdout, stderr } = await runElt(['replicate'], env, project)
    expect(code, stderr).toBe(0)
    expect(stdout).toMatch(/from\s+source\s+target\s+rows\s+rejected\s+bytes\s+time/)
    expect(stdout).toMatch(/postgres\s+public\.films\s+raw\.films\s+12\s/)
    expect(stdout).toMatch(/sales \(csv\)\s+sales\.sales\s+raw\.sales\s+2\s+1\s/)
    expect(stdout).toContain('2 table(s), 14 rows (1 rejected)')
    expect(stdout).toContain('rejected: 1 row(s) of raw.sales kept out')
    const rejected = await destination.query(`select file, line::int, raw, reason from _elt_audit.rejected_rows order by rejected_at desc limit 1`)
    expect(rejected).toEqual([{ file: path.join(project, 'data', 'sales.csv'), line: 3, raw: '2,two,x', reason: 'column "qty": "two" is not a valid integer' }])
  })

  it('--select naming no configured source is a usage error (exit 2)', async () => {
    const { code, stderr } = await runElt(['replicate', '--select', 'source:nope'], env, project)
    expect(code).toBe(2)
    expect(stderr).toContain('--select "source:nope" names no configured source.')
  })
})
