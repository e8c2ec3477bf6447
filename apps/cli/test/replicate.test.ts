import { rm } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { freePort, passwordOf } from '@elt/core'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { emptyProject, runElt, spawnElt, withPassword } from './replicate-helpers.ts'

let source: TestDatabase
let destination: TestDatabase
let env: Record<string, string>
beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'), 'cli_rep_src')
  destination = await createTestDatabase(inject('pgAdminUrl'), 'cli_rep_dst')
  await source.query(`
    create table films (film_id serial primary key, title varchar(255) not null, price numeric(5, 2));
    insert into films (title, price) select 'Film ' || g, g % 50 + 0.99 from generate_series(1, 120) g;
    create table film_category (category_id serial primary key, film_id int references films, category_name varchar(50) not null);
    insert into film_category (film_id, category_name) select g, 'Drama' from generate_series(1, 60) g;`)
  env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url }
})
afterAll(async () => {
  await source.drop()
  await destination.drop()
})

describe('elt replicate', () => {
  it('--json prints only the JSON summary on stdout and records the run in _elt', async () => {
    const { code, stdout, stderr } = await runElt(['replicate', '--json', '--verify', '--jobs', '2'], env)
    expect(code).toBe(0)
    const summary = JSON.parse(stdout) as { runId: string; status: string; tables: Record<string, unknown>[] }
    expect(summary.status).toBe('success')
    expect(summary.tables.map((t) => [t.source, t.target, t.rows]).sort()).toEqual([
      ['public.film_category', 'raw.film_category', 60],
      ['public.films', 'raw.films', 120],
    ])
    for (const t of summary.tables) {
      expect(Object.keys(t).sort()).toEqual(['bytes', 'deleted', 'inserted', 'kind', 'rows', 'seconds', 'source', 'sourceName', 'strategy', 'target', 'updated'])
      expect(t.bytes).toBeGreaterThan(0)
    }
    expect(stderr).toContain('public.films → raw.films')

    const runs = await destination.query<{ command: string; status: string; summary: { tables: unknown[] } }>(
      `select command, status, summary from _elt.runs where run_id = $1`,
      [summary.runId],
    )
    expect(runs).toEqual([{ command: 'replicate', status: 'success', summary: expect.objectContaining({ status: 'success', tables: summary.tables }) }])
    const loads = await destination.query<{ source_table: string; status: string; rows: string }>(
      `select source_table, status, rows::text from _elt.table_loads where run_id = $1 order by 1`,
      [summary.runId],
    )
    expect(loads).toEqual([
      { source_table: 'public.film_category', status: 'done', rows: '60' },
      { source_table: 'public.films', status: 'done', rows: '120' },
    ])
    const { next } = (await destination.query<{ next: string }>(`select nextval('raw.films_film_id_seq')::text as next`))[0]!
    expect(next).toBe('121')
  })

  it('prints a summary table without --json', async () => {
    const { code, stdout } = await runElt(['replicate'], env)
    expect(code).toBe(0)
    expect(stdout).toMatch(/source\s+target\s+rows\s+bytes\s+time/)
    expect(stdout).toMatch(/public\.films\s+raw\.films\s+120/)
    expect(stdout).toContain('2 table(s), 180 rows')
  })

  it('names the database on a wrong password, exit 1, and never prints the password', async () => {
    const bad = withPassword(source.url, 'Wr0ng-Pa55word')
    const { code, stdout, stderr } = await runElt(['replicate', '--json'], { ...env, SOURCE_DATABASE_URL: bad })
    expect(code).toBe(1)
    expect(stderr).toMatch(/Could not log in to the source database at 127\.0\.0\.1:\d+\/t_cli_rep_src_\w+ as "\w+"/)
    expect(stderr).toContain('SOURCE_DATABASE_URL')
    expect(JSON.parse(stdout)).toMatchObject({ status: 'error', tables: [] })
    for (const secret of ['Wr0ng-Pa55word', passwordOf(destination.url)].filter(Boolean)) {
      expect(stdout + stderr).not.toContain(secret)
    }
  })

  it('as a process: exits 1 on a wrong password (no leaked connection keeps it alive), password nowhere in the output', async () => {
    const run = spawnElt(['replicate', '--json'], { ...env, DESTINATION_DATABASE_URL: withPassword(destination.url, 'Wr0ng-Pa55word') })
    const { code, signal, stdout } = await run.exited
    expect([code, signal]).toEqual([1, null])
    expect(run.stderr()).toMatch(/error: Could not log in to the destination database at 127\.0\.0\.1:\d+\/t_cli_rep_dst_\w+/)
    expect(JSON.parse(stdout)).toMatchObject({ runId: null, status: 'error', tables: [], error: expect.stringContaining('Could not log in to the destination') })
    expect(stdout + run.stderr()).not.toContain('Wr0ng-Pa55word')
  })

  it('gives up on an unreachable host after ELT_CONNECT_TIMEOUT_SECONDS, exit 1', async () => {
    const port = await freePort()
    const { code, stderr } = await runElt(['replicate'], { ...env, SOURCE_DATABASE_URL: `postgres://app:TopSecret@127.0.0.1:${port}/src`, ELT_CONNECT_TIMEOUT_SECONDS: '1' })
    expect(code).toBe(1)
    expect(stderr).toContain(`Could not reach the source database at 127.0.0.1:${port}/src after waiting 1 s`)
    expect(stderr).not.toContain('TopSecret')
  })

  it('exits 2 on an unknown table in the config, copying nothing', async () => {
    await destination.query('drop schema if exists raw cascade')
    const cwd = await emptyProject(`export default { replicate: { include: ['films', 'public.flims'] } }\n`)
    const { code, stderr } = await runElt(['replicate'], env, cwd)
    await rm(cwd, { recursive: true, force: true })
    expect(code).toBe(2)
    expect(stderr).toContain('Unknown table "public.flims"')
    const raw = await destination.query(`select 1 from pg_namespace where nspname = 'raw'`)
    expect(raw).toEqual([])
  })

  it('exits 2 on a bad --jobs value', async () => {
    const { code, stderr } = await runElt(['replicate', '--jobs', 'many'], env)
    expect(code).toBe(2)
    expect(stderr).toContain('--jobs must be a whole number')
  })
})
