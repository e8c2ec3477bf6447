import { readFile, readdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { emptyProject, runElt } from './replicate-helpers.ts'

const repo = fileURLToPath(new URL('../../../', import.meta.url))

/** `elt extract`, `elt load` and `elt run --date` on this repository's sample: the seeded database and its CSV source. */
describe('elt extract / load / run --date', () => {
  let source: TestDatabase
  let destination: TestDatabase
  let project: string
  let env: Record<string, string>
  beforeAll(async () => {
    source = await createTestDatabase(inject('pgAdminUrl'), 'stage_cli_src')
    destination = await createTestDatabase(inject('pgAdminUrl'), 'stage_cli_dst')
    await source.query(await readFile(path.join(repo, 'source_db_init', 'init.sql'), 'utf8'))
    env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url }
    const config = {
      sources: {
        postgres: { kind: 'postgres' },
        ticket_sales: { kind: 'csv', path: path.join(repo, 'source_db_init', 'ticket_sales.csv'), table: 'ticket_sales' },
        // not staged: upserted after the day's tables (the ccb_carteira model reads it)
        ccb: { kind: 'mongodb-export', path: path.join(repo, 'source_db_init', 'ccb_contratos.jsonl'), mapping: 'ccb_contracts', targetSchema: 'ccb' },
      },
      stage: { dir: 'stage', compression: 'gzip' },
      models: { project: path.join(repo, 'packages/models/src/index.ts') },
    }
    project = await emptyProject(`export default ${JSON.stringify(config)}\n`)
  })
  afterAll(async () => {
    await source.drop()
    await destination.drop()
    await rm(project, { recursive: true, force: true })
  })

  it('extracts a day, then loads it with the source database unreachable', async () => {
    const extracted = await runElt(['extract', '--date', '2024-01-15', '--json', '--jobs', '2'], env, project)
    expect(extracted.code, extracted.stderr).toBe(0)
    const summary = JSON.parse(extracted.stdout) as { runId: string; date: string; tables: { source: string; table: string; rows: number; files: number }[] }
    expect(summary.date).toBe('2024-01-15')
    expect(Object.fromEntries(summary.tables.map((t) => [`${t.source}: ${t.table}`, t.rows]))).toEqual({
      'postgres: public.films': 118, 'postgres: public.actors': 72, 'postgres: public.film_actors': 242, 'postgres: public.film_category': 153, 'postgres: public.users': 42,
      'ticket_sales: ticket_sales': 5000,
    })
    expect((await readdir(path.join(project, 'stage', 'ticket_sales', 'ticket_sales', '2024-01-15'))).sort()).toEqual(['_manifest.json', 'part-0001.csv.gz'])

    // the source on a port nobody listens on: load reads the stage only
    const offline = { ...env, SOURCE_DATABASE_URL: 'postgres://app:secret@127.0.0.1:9/source_db' }
    const loaded = await runElt(['load', '--date', '2024-01-15', '--json'], offline, project)
    expect(loaded.code, loaded.stderr).toBe(0)
    const load = JSON.parse(loaded.stdout) as { runId: string; status: string; tables: { target: string; rows: number }[] }
    expect(load.status).toBe('success')
    expect(Object.fromEntries(load.tables.map((t) => [t.target, t.rows]))).toEqual({
      'raw.films': 118, 'raw.actors': 72, 'raw.film_actors': 242, 'raw.film_category': 153, 'raw.users': 42, 'raw.ticket_sales': 5000,
    })
    for (const table of ['films', 'actors', 'film_actors', 'film_category', 'users']) {
      const rows = (db: TestDatabase, schema: string) => db.query<{ r: string }>(`select t::text as r from ${schema}.${table} t order by 1`)
      expect(await rows(destination, 'raw'), table).toEqual(await rows(source, 'public'))
    }
    // the CSV's non-ASCII text, quoted commas and empty fields (NULL) as a direct load gives them
    const [sale] = await destination.query(`select cinema, unit_price, promo_code, note from raw.ticket_sales where sale_id = 4`)
    expect(sale).toEqual({ cinema: 'Кинотеатр «Октябрь», Москва', unit_price: '14.74', promo_code: null, note: null })
    const [first] = await destination.query(`select cinema, unit_price from raw.ticket_sales where sale_id = 1`)
    expect(first).toEqual({ cinema: 'Cine Belas Artes, São Paulo', unit_price: null })

    const runs = await destination.query(`select run_id::text, command, status from _elt.runs order by started_at`)
    expect(runs).toEqual([
      { run_id: summary.runId, command: 'extract', status: 'success' },
      { run_id: load.runId, command: 'load', status: 'success' },
    ])
    const extracts = await destination.query(`select count(*)::int as n from _elt.stage_extracts where run_id = $1 and status = 'done' and day = '2024-01-15'`, [summary.runId])
    expect(extracts[0]?.n).toBe(6)
    const loads = await destination.query(`select count(*)::int as n from _elt.table_loads where run_id = $1 and status = 'done'`, [load.runId])
    expect(loads[0]?.n).toBe(6)
  })

  it('load --json of a day with one damaged staged file: the other tables are loaded, the damaged one is named with its error', async () => {
    const day = path.join(project, 'stage', 'postgres', (await readdir(path.join(project, 'stage', 'postgres'))).find((t) => t.endsWith('users'))!, '2024-01-15')
    const part = (await readdir(day)).find((f) => f.startsWith('part-'))!
    await writeFile(path.join(day, part), 'not what the extract wrote')
    const loaded = await runElt(['load', '--date', '2024-01-15', '--json'], env, project)
    expect(loaded.code).toBe(1)
    const load = JSON.parse(loaded.stdout) as { status: string; error: string; tables: { target: string; rows?: number; status?: string; error?: string }[] }
    expect(load.status).toBe('error')
    // the file, its table and day, what to do: zlib's "incorrect header check" said for people, or (this file is one
    // chunk long, so whichever check sees it first) the manifest's mismatch
    expect(load.error).toMatch(
      new RegExp(
        `^The staged file ${path.join(project, 'stage', 'postgres', 'public.users')}/\\S+/${part} of postgres: public\\.users \\(2024-01-15\\) ` +
          '(cannot be decompressed \\(incorrect header check\\)|does not match its manifest \\([^)]*\\)): ' +
          'it was changed or damaged after the extract\\. The table was not loaded and keeps its previous copy\\. Extract that day again',
      ),
    )
    expect(Object.fromEntries(load.tables.map((t) => [t.target, t.status ?? t.rows]))).toEqual({
      'raw.films': 118, 'raw.actors': 72, 'raw.film_actors': 242, 'raw.film_category': 153, 'raw.ticket_sales': 5000, 'raw.users': 'error',
    })
    expect(load.tables.find((t) => t.target === 'raw.users')?.error).toBe(load.error)
  })

  it('run --date D is extract → load → build → test as one recorded run', async () => {
    const { code, stdout, stderr } = await runElt(['run', '--date', '2024-01-16', '--json', '--jobs', '2'], env, project)
    expect(code, stderr).toBe(0)
    const summary = JSON.parse(stdout) as { runId: string; status: string; tables: { target: string; rows: number }[]; models: { name: string; status: string }[] }
    expect(summary.status).toBe('success')
    expect(summary.tables).toHaveLength(6)
    expect(summary.models.find((m) => m.name === 'film_ratings')).toMatchObject({ status: 'success' })
    expect(await destination.query(`select command, status from _elt.runs where run_id = $1`, [summary.runId])).toEqual([{ command: 'run', status: 'success' }])
    const extracted = await destination.query(`select count(*)::int as n from _elt.stage_extracts where run_id = $1 and day = '2024-01-16' and status = 'done'`, [summary.runId])
    expect(extracted[0]?.n).toBe(6)
    const loaded = await destination.query(`select count(*)::int as n from _elt.table_loads where run_id = $1 and status = 'done'`, [summary.runId])
    expect(loaded[0]?.n).toBe(6)
    expect(await readdir(path.join(project, 'stage', 'postgres', '_days'))).toEqual(['2024-01-15.json', '2024-01-16.json'])
  })
})
