import { existsSync } from 'node:fs'
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { embeddedDataDir, runningPostmaster } from '@elt/core'
import { createTestDatabase, orphanEmbeddedServer, type TestDatabase } from '@elt/core/testing'
import { emptyProject, runElt } from './replicate-helpers.ts'

const repo = fileURLToPath(new URL('../../../', import.meta.url))
const seedFile = path.join(repo, 'source_db_init', 'init.sql')
// The project's sources, as in the repository's elt.config.ts: the source database, the CSV file and the CCB export.
const modelsConfig = `export default ${JSON.stringify({
  models: { project: path.join(repo, 'packages/models/src/index.ts') },
  sources: {
    postgres: { kind: 'postgres' },
    ticket_sales: { kind: 'csv', path: path.join(repo, 'source_db_init/ticket_sales.csv'), table: 'ticket_sales' },
    ccb: { kind: 'mongodb-export', path: path.join(repo, 'source_db_init/ccb_contratos.jsonl'), mapping: 'ccb_contracts', targetSchema: 'ccb' },
  },
})}\n`

interface RunJson {
  runId: string
  status: string
  tables: { source: string; target: string; rows: number; bytes: number; seconds: number }[]
  models: { name: string; materialized: string; status: string; rows: number | null; seconds: number }[]
  tests: { id: string; status: string; failures: number | null }[]
  documents?: { source: string; documents: number; loaded: number; rejected: number }[]
}

describe('elt run against two servers (SOURCE_DATABASE_URL / DESTINATION_DATABASE_URL)', () => {
  let source: TestDatabase
  let destination: TestDatabase
  let env: Record<string, string>
  beforeAll(async () => {
    source = await createTestDatabase(inject('pgAdminUrl'), 'run_src')
    destination = await createTestDatabase(inject('pgAdminUrl'), 'run_dst')
    await source.query(await readFile(seedFile, 'utf8'))
    env = { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url }
  })
  afterAll(async () => {
    await source.drop()
    await destination.drop()
  })

  it('replicates, builds and tests as one recorded run, printing only JSON', async () => {
    const cwd = await emptyProject(modelsConfig)
    const { code, stdout, stderr } = await runElt(['run', '--json', '--jobs', '2'], env, cwd)
    expect(code, stderr).toBe(0)
    const summary = JSON.parse(stdout) as RunJson
    expect(summary.status).toBe('success')
    const rows = Object.fromEntries(summary.tables.map((t) => [t.target, t.rows]))
    expect(rows).toEqual({ 'raw.films': 118, 'raw.actors': 72, 'raw.film_actors': 242, 'raw.film_category': 153, 'raw.users': 42, 'raw.ticket_sales': 5000 })
    expect(summary.models.map((m) => m.status)).toEqual(summary.models.map(() => 'success'))
    expect(summary.models.find((m) => m.name === 'film_ratings')).toMatchObject({ materialized: 'table', rows: 118 })
    // the CSV source feeds film_sales, whose tests pass with the others'
    expect(summary.models.find((m) => m.name === 'film_sales')).toMatchObject({ materialized: 'table', rows: 118, status: 'success' })
    expect(summary.tests.map((t) => t.id)).toEqual(expect.arrayContaining(['unique_film_sales_film_id', 'source_freshness_raw_ticket_sales']))
    expect(summary.tests.length).toBeGreaterThanOrEqual(20)
    expect(summary.tests.filter((t) => t.status !== 'pass')).toEqual([])
    expect(summary.tests.map((t) => t.id)).toContain('unique_film_ratings_film_id')
    // the document source: upserted after the tables, feeding ccb_carteira
    expect(summary.documents).toEqual([expect.objectContaining({ source: 'ccb', documents: 416, loaded: 399, rejected: 17 })])
    expect(summary.models.find((m) => m.name === 'ccb_carteira')).toMatchObject({ materialized: 'table', status: 'success' })

    const [films] = await destination.query<{ n: number }>('select count(*)::int as n from analytics.film_ratings')
    expect(films?.n).toBe(118)
    const runs = await destination.query(`select command, status from _elt.runs where run_id = $1`, [summary.runId])
    expect(runs).toEqual([{ command: 'run', status: 'success' }])
    const tested = await destination.query<{ n: number }>(`select count(*)::int as n from _elt.test_results where run_id = $1`, [summary.runId])
    expect(tested[0]?.n).toBe(summary.tests.length)
    const results = JSON.parse(await readFile(path.join(cwd, 'target', 'run_results.json'), 'utf8'))
    expect(results).toMatchObject({ run_id: summary.runId, command: 'run', status: 'success' })
  })

  it('gives the same result when run twice', async () => {
    const cwd = await emptyProject(modelsConfig)
    const snapshot = () =>
      destination.query(`select film_id, title, rating_category, actors, actor_count, avg_actor_rating::text from analytics.film_ratings order by film_id`)
    const before = await snapshot()
    const { code, stdout, stderr } = await runElt(['run', '--json'], env, cwd)
    expect(code, stderr).toBe(0)
    expect((JSON.parse(stdout) as RunJson).tables.map((t) => t.rows).reduce((a, b) => a + b, 0)).toBe(627 + 5000)
    expect(await snapshot()).toEqual(before)
    const [raw] = await destination.query<{ n: number }>('select count(*)::int as n from raw.film_actors')
    expect(raw?.n).toBe(242)
  })

  it('a source table that cannot be loaded: the others are, nothing is built, and --json lists what was loaded beside the error', async () => {
    const cwd = await emptyProject(modelsConfig.replace(JSON.stringify(path.join(repo, 'source_db_init/ticket_sales.csv')), '"ragged.csv"'))
    await writeFile(path.join(cwd, 'ragged.csv'), 'sale_id,film_id\n1,2\n3\n')
    const { code, stdout, stderr } = await runElt(['run', '--json'], env, cwd)
    expect(code).toBe(1)
    expect(stderr).toMatch(/raw\.ticket_sales {2}failed: .*ragged\.csv, line 3/)
    const summary = JSON.parse(stdout) as RunJson & { error: string }
    expect(summary).toMatchObject({ status: 'error', models: [], tests: [], error: expect.stringMatching(/ragged\.csv, line 3/) })
    expect(summary.tables.map((t) => [t.target, (t as { status?: string }).status ?? 'loaded']).sort()).toEqual([
      ['raw.actors', 'loaded'], ['raw.film_actors', 'loaded'], ['raw.film_category', 'loaded'], ['raw.films', 'loaded'], ['raw.ticket_sales', 'error'], ['raw.users', 'loaded'],
    ])
    expect(summary.documents).toEqual([expect.objectContaining({ source: 'ccb', loaded: 399 })])
    expect(await destination.query(`select command, status, message ~ 'ragged.csv, line 3' as named from _elt.runs where run_id = $1`, [summary.runId])).toEqual([{ command: 'run', status: 'error', named: true }])
  })

  it('fails with exit 2 and no JSON lies on an unknown target', async () => {
    const { code, stderr } = await runElt(['run', '--target', 'staging'], env, await emptyProject(modelsConfig))
    expect(code).toBe(2)
    expect(stderr).toContain('Unknown target "staging"')
  })
})

describe('elt run on the embedded default (no database URLs)', () => {
  it('starts PostgreSQL for .elt/, seeds the source once, reuses it on the next run, and stops a server it adopted', async () => {
    const cwd = await emptyProject(modelsConfig)
    await mkdir(path.join(cwd, 'source_db_init'))
    await copyFile(seedFile, path.join(cwd, 'source_db_init', 'init.sql'))
    const dir = path.join(cwd, '.elt', 'postgres')
    const dataDir = await embeddedDataDir(dir) // <dir>/data, or as root under /var/lib/elt/clusters
    try {
      const first = await runElt(['run', '--json'], {}, cwd)
      expect(first.code, first.stderr).toBe(0)
      expect(first.stderr).toContain('seeding source_db')
      expect((JSON.parse(first.stdout) as RunJson).tables.find((t) => t.target === 'raw.films')?.rows).toBe(118)
      // the CSV source is loaded in the same run, next to the source database
      expect((JSON.parse(first.stdout) as RunJson).tables.find((t) => t.target === 'raw.ticket_sales')).toMatchObject({ rows: 5000, sourceName: 'ticket_sales', kind: 'csv' })
      expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true)
      // the server this run started is stopped again
      expect(await runningPostmaster(dataDir)).toBeUndefined()

      // A command killed with SIGKILL leaves its server running; the next run adopts it and stops it when done.
      await orphanEmbeddedServer(dir)
      expect(await runningPostmaster(dataDir)).toBeDefined()
      const second = await runElt(['run', '--json'], {}, cwd)
      expect(second.code, second.stderr).toBe(0)
      expect(second.stderr).not.toContain('seeding')
      const summary = JSON.parse(second.stdout) as RunJson
      expect(summary.models.find((m) => m.name === 'film_ratings')?.rows).toBe(118)
      expect(await runningPostmaster(dataDir)).toBeUndefined()
      const serverFile = JSON.parse(await readFile(path.join(dir, 'server.json'), 'utf8')) as { password: string }
      expect(first.stdout + first.stderr + second.stdout + second.stderr).not.toContain(serverFile.password)
    } finally {
      await rm(cwd, { recursive: true, force: true })
      await rm(process.getuid?.() === 0 ? path.dirname(dataDir) : dataDir, { recursive: true, force: true })
    }
  }, 180_000)

  it('a project of CSV files alone needs no seed file; with a postgres source, a missing one is named', async () => {
    const sales = { kind: 'csv', path: 'sales.csv', table: 'sales' }
    const cwd = await emptyProject(`export default ${JSON.stringify({ sources: { sales } })}\n`)
    await writeFile(path.join(cwd, 'sales.csv'), 'id,name\n1,a\n2,b\n')
    const dataDir = await embeddedDataDir(path.join(cwd, '.elt', 'postgres'))
    try {
      const csv = await runElt(['replicate', '--json'], {}, cwd)
      expect(csv.code, csv.stderr).toBe(0)
      expect((JSON.parse(csv.stdout) as RunJson).tables.map((t) => [t.target, t.rows])).toEqual([['raw.sales', 2]])
      await writeFile(path.join(cwd, 'with-postgres.json'), JSON.stringify({ sources: { postgres: { kind: 'postgres' }, sales } }))
      const withPostgres = await runElt(['replicate', '--config', 'with-postgres.json'], {}, cwd)
      expect(withPostgres.code, withPostgres.stderr + withPostgres.stdout).toBe(1)
      expect(withPostgres.stderr).toContain(`error: Cannot read the seed file ${path.join(cwd, 'source_db_init', 'init.sql')}.`)
      expect(await runningPostmaster(dataDir)).toBeUndefined()
    } finally {
      await rm(cwd, { recursive: true, force: true })
      await rm(process.getuid?.() === 0 ? path.dirname(dataDir) : dataDir, { recursive: true, force: true })
    }
  }, 120_000)
})
