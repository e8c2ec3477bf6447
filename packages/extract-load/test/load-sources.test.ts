import type {} from '@elt/core/testing/global-setup' // declares inject('pgAdminUrl')
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { EltError } from '@elt/core'
import { createTestDatabase } from '@elt/core/testing'
import { csvReader, loadSources, postgresReader, type LoadSourcesOptions, type SourceToLoad } from '../src/index.ts'
import { csvDir, type CsvDir } from './csv-helpers.ts'
import { createPair, dropOddRowsOnLoad, terminateSessions, type Pair } from './helpers.ts'

let pair: Pair
let files: CsvDir
beforeAll(async () => {
  pair = await createPair(inject('pgAdminUrl'), 'load_sources')
  files = await csvDir()
  await pair.source.query(`
    create table films (film_id serial primary key, title text not null);
    insert into films (title) select 'film ' || g from generate_series(1, 20) g;`)
})
afterAll(async () => {
  await files?.remove()
  await pair?.drop()
})

const postgres = (): SourceToLoad => ({
  name: 'postgres',
  reader: postgresReader,
  config: { schemas: ['public'] },
  targetSchema: 'raw',
  database: { label: 'source', url: pair.source.url },
})
const csv = (name: string, config: Record<string, unknown>, targetSchema = 'raw'): SourceToLoad => ({ name, reader: csvReader, config, targetSchema })

function load(sources: SourceToLoad[], options: Partial<LoadSourcesOptions> = {}) {
  return loadSources({
    sources,
    destination: { label: 'destination', url: pair.destination.url },
    jobs: 2,
    retry: { maxRetries: 1, delaySeconds: 0.1 },
    connectWaitSeconds: 5,
    ...options,
  })
}

async function failure(promise: Promise<unknown>): Promise<EltError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(EltError)
  return error as EltError
}

const columnsOf = (table: string) =>
  pair.destination.query<{ name: string; type: string }>(
    `select attname as name, format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped order by attnum`,
    [table],
  )

describe('loadSources with CSV sources', () => {
  it('loads a glob of a gzipped UTF-8 file and a Latin-1 file into one table: types inferred, quoted commas, names as in the header', async () => {
    await files.write('sales-01.csv.gz', 'id,"Größe, netto",sold_on,note,ok\n1,10.5,2024-01-15,"Smith, John",true\n2,3,2024-01-16,,false\n')
    await files.write('sales-02.csv', Buffer.from('id,"Größe, netto",sold_on,note,ok\n3,7.25,2024-02-01,"café, crème",true\n', 'latin1'))
    const summary = await load([csv('sales', { path: `${files.dir}/sales-*.csv*`, table: 'sales' })])
    expect(summary.tables).toEqual([
      { source: 'sales.sales', target: 'raw.sales', sourceName: 'sales', kind: 'csv', rows: 3, bytes: expect.any(Number), seconds: expect.any(Number), strategy: 'full', inserted: 3, updated: 0, deleted: 0 },
    ])
    expect(await columnsOf('raw.sales')).toEqual([
      { name: 'id', type: 'smallint' }, // inference read the whole source
      { name: 'Größe, netto', type: 'numeric' },
      { name: 'sold_on', type: 'date' },
      { name: 'note', type: 'text' },
      { name: 'ok', type: 'boolean' },
    ])
    expect(await pair.destination.query(`select id, "Größe, netto"::text as amount, sold_on::text, note, ok from raw.sales order by id`)).toEqual([
      { id: 1, amount: '10.5', sold_on: '2024-01-15', note: 'Smith, John', ok: true },
      { id: 2, amount: '3', sold_on: '2024-01-16', note: null, ok: false },
      { id: 3, amount: '7.25', sold_on: '2024-02-01', note: 'café, crème', ok: true },
    ])
    const loads = await pair.destination.query(`select source_name, source_table, target_table, status, rows::int from _elt.table_loads where run_id = $1`, [summary.runId])
    expect(loads).toEqual([{ source_name: 'sales', source_table: 'sales.sales', target_table: 'raw.sales', status: 'done', rows: 3 }])
  })

  it('fails the table on a bad row, naming file, line and column, and keeps the previous copy', async () => {
    const file = await files.write('bad.csv', 'id,amount\n1,10\n2,20\n')
    await load([csv('bad', { path: file, table: 'bad', columns: { amount: 'integer' } })])
    await files.write('bad.csv', 'id,amount\n3,30\n4,forty\n5,50\n')
    const error = await failure(load([csv('bad', { path: file, table: 'bad', columns: { amount: 'integer' } })]))
    expect(error.message).toBe(`${file}, line 3, column "amount": "forty" is not a valid integer (invalid input syntax for type integer: "forty").`)
    expect(error.exitCode).toBe(1)
    expect(await pair.destination.query(`select id, amount from raw.bad order by id`)).toEqual([
      { id: 1, amount: 10 },
      { id: 2, amount: 20 },
    ])
    const [run] = await pair.destination.query<{ status: string; message: string }>(`select status, message from _elt.replications where source_name = 'bad' order by started_at desc limit 1`)
    expect(run).toEqual({ status: 'error', message: expect.stringContaining('line 3') })
  })

  it("with onError: 'quarantine' loads the good rows and records the bad ones in _elt_audit.rejected_rows in the load's transaction", async () => {
    const file = await files.write('q.csv', 'id,amount,name\n1,10,a\n2,abc,b\n3,30\n4,40,d\n')
    const summary = await load([csv('q', { path: file, table: 'q', columns: { amount: 'integer' }, onError: 'quarantine' })])
    expect(summary.tables).toEqual([expect.objectContaining({ target: 'raw.q', rows: 2, rejected: 2 })])
    expect(await pair.destination.query(`select id, amount, name from raw.q order by id`)).toEqual([
      { id: 1, amount: 10, name: 'a' },
      { id: 4, amount: 40, name: 'd' },
    ])
    expect(await pair.destination.query(`select source, target_table, file, line::int, raw, reason from _elt_audit.rejected_rows where run_id = $1 order by line`, [summary.runId])).toEqual([
      { source: 'q', target_table: 'raw.q', file, line: 3, raw: '2,abc,b', reason: 'column "amount": "abc" is not a valid integer' },
      { source: 'q', target_table: 'raw.q', file, line: 4, raw: '3,30', reason: 'ragged row: 2 fields, the header has 3' },
    ])
  })

  it('records every rejected row of a file with many bad ones, in file order (spooled to disk past 1,000 while the COPY runs)', async () => {
    const lines = Array.from({ length: 2500 }, (_, i) => (i % 2 === 0 ? `${i},${i}` : `${i},bad${i}`))
    const file = await files.write('many.csv', `id,amount\n${lines.join('\n')}\n`)
    const summary = await load([csv('many', { path: file, table: 'many', columns: { amount: 'integer' }, onError: 'quarantine' })])
    expect(summary.tables).toEqual([expect.objectContaining({ rows: 1250, rejected: 1250 })])
    const recorded = await pair.destination.query<{ n: number; first: number; last: number; distinct: boolean }>(
      `select count(*)::int as n, min(line)::int as first, max(line)::int as last, count(distinct line)::int = count(*) as distinct from _elt_audit.rejected_rows where run_id = $1`,
      [summary.runId],
    )
    expect(recorded).toEqual([{ n: 1250, first: 3, last: 2501, distinct: true }])
    expect(await pair.destination.query(`select count(*)::int as n from raw.many`)).toEqual([{ n: 1250 }])
  })

  it('retries a CSV table whose destination backend was terminated mid-COPY, reading the file again from its start', async () => {
    const rows = 400_000
    const file = await files.write('big.csv.gz', `id,label\n${Array.from({ length: rows }, (_, i) => `${i},label number ${i}`).join('\n')}\n`)
    let killing: Promise<number> | undefined
    const events: string[] = []
    const summary = await load([csv('big', { path: file, table: 'big' })], {
      jobs: 1,
      onEvent: (e) => {
        if (e.type === 'table-retried') events.push(`retried ${e.source} attempt ${e.attempt}`)
        if (e.type === 'table-progress' && killing === undefined) killing = terminateSessions(pair.destination, 'elt-replicate-load', 'COPY')
      },
    })
    expect(await killing).toBe(1)
    expect(events).toEqual(['retried big.big attempt 1'])
    expect(summary.tables).toEqual([expect.objectContaining({ target: 'raw.big', rows })])
    expect(await pair.destination.query(`select count(*)::int as n, count(distinct id)::int as ids, max(id) as last from raw.big`)).toEqual([{ n: rows, ids: rows, last: rows - 1 }])
  })

  it('climbs the whole ladder in one load: quarantine after a bad declared value, then a late value widens an inferred column in the Node path', async () => {
    // the late value in a second file: the first file's COPY fails on the bad declared value before
    // the guard reads the second (within one file the guard would stop at the late value first)
    await files.write('ladder-1.csv', 'id,qty,price\n1,1,10\n2,x,20\n')
    await files.write('ladder-2.csv', 'id,qty,price\n3,3,30.75\n')
    const logged: string[] = []
    const logger = { debug: () => {}, info: (m: string) => void logged.push(m), warn: (m: string) => void logged.push(m), error: () => {} }
    const path = `${files.dir}/ladder-*.csv`
    const summary = await load([csv('ladder', { path, table: 'ladder', columns: { qty: 'integer' }, inferRows: 1, onError: 'quarantine' })], { logger })
    expect(summary.tables).toEqual([expect.objectContaining({ target: 'raw.ladder', rows: 2, rejected: 1 })])
    expect(logged).toEqual([
      'ladder.ladder: bad rows: parsing in Node to quarantine them — loading it again',
      'ladder.ladder: column "price": integer → numeric — loading it again',
    ])
    expect(await pair.destination.query(`select id, qty, price::text from raw.ladder order by id`)).toEqual([
      { id: 1, qty: 1, price: '10' },
      { id: 3, qty: 3, price: '30.75' },
    ])
  })

  it('widens an inferred column when a value after the inferred rows does not fit, and loads again', async () => {
    const file = await files.write('late.csv', 'id,amount\n1,10\n2,20\n3,30.5\n')
    const summary = await load([csv('late', { path: file, table: 'late', inferRows: 2 })])
    expect(summary.tables).toEqual([expect.objectContaining({ target: 'raw.late', rows: 3 })])
    expect(await columnsOf('raw.late')).toEqual([
      { name: 'id', type: 'integer' },
      { name: 'amount', type: 'numeric' },
    ])
    expect(await pair.destination.query(`select amount::text from raw.late order by id`)).toEqual([{ amount: '10' }, { amount: '20' }, { amount: '30.5' }])
  })
})

describe('loadSources with several sources', () => {
  it('loads a PostgreSQL source and a CSV source in one run, one _elt.replications row each', async () => {
    const file = await files.write('tickets.csv', 'film_id,sold\n1,3\n2,5\n')
    const summary = await load([postgres(), csv('tickets', { path: file, table: 'tickets' })])
    expect(summary.tables.map((t) => [t.sourceName, t.kind, t.source, t.target, t.rows])).toEqual([
      ['postgres', 'postgres', 'public.films', 'raw.films', 20],
      ['tickets', 'csv', 'tickets.tickets', 'raw.tickets', 2],
    ])
    expect(summary.sources.map((s) => [s.name, s.kind])).toEqual([
      ['postgres', 'postgres'],
      ['tickets', 'csv'],
    ])
    const runs = await pair.destination.query(`select source_name, status, target_schema from _elt.replications where run_id = $1 order by source_name`, [summary.runId])
    expect(runs).toEqual([
      { source_name: 'postgres', status: 'success', target_schema: 'raw' },
      { source_name: 'tickets', status: 'success', target_schema: 'raw' },
    ])
    expect(await pair.destination.query(`select count(*)::int as n from raw.films f join raw.tickets t using (film_id)`)).toEqual([{ n: 2 }])
    expect(await pair.destination.query(`select nextval('raw.films_film_id_seq')::int as next`)).toEqual([{ next: 21 }])
  })

  it('refuses two sources writing the same table at discovery (exit 2, naming both), before anything is loaded', async () => {
    const file = await files.write('films.csv', 'film_id,title\n1,x\n')
    await pair.destination.query(`drop table if exists raw.films cascade`)
    const error = await failure(load([postgres(), csv('film_export', { path: file, table: 'films' })]))
    expect(error.message).toBe('Sources "postgres" and "film_export" both write the table raw.films.')
    expect(error.exitCode).toBe(2)
    expect(await pair.destination.query(`select to_regclass('raw.films') is null as gone`)).toEqual([{ gone: true }])
  })

  it('loads only the selected source or table', async () => {
    const file = await files.write('only.csv', 'a\n1\n')
    const summary = await load([postgres(), csv('only', { path: file, table: 'only' })], { select: ['source:only'] })
    expect(summary.tables.map((t) => t.target)).toEqual(['raw.only'])
    const excluded = await load([postgres(), csv('only', { path: file, table: 'only' })], { exclude: ['source:postgres'] })
    expect(excluded.tables.map((t) => t.target)).toEqual(['raw.only'])
    const films = await load([postgres(), csv('only', { path: file, table: 'only' })], { select: ['source:postgres.films'] })
    expect(films.tables.map((t) => t.target)).toEqual(['raw.films'])
    const none = await failure(load([postgres(), csv('only', { path: file, table: 'only' })], { select: ['source:postgres.nope'] }))
    expect(none.message).toBe('--select source:postgres.nope: source "postgres" has no such table.')
    expect(none.exitCode).toBe(2)
  })
})

describe('loadSources row counts', () => {
  it("fails a quarantined CSV table whose destination COPY loaded fewer rows than Node sent, and keeps the previous copy", async () => {
    const destination = await createTestDatabase(inject('pgAdminUrl'), 'load_sources_count')
    try {
      const file = await files.write('counted.csv', 'id,skip_odd\n1,0\n2,0\nthree,0\n4,0\n')
      const source = csv('counted', { path: file, table: 'counted', columns: { id: 'integer' }, onError: 'quarantine' })
      const run = () => loadSources({ sources: [source], destination: { label: 'destination', url: destination.url }, jobs: 1, retry: { maxRetries: 0, delaySeconds: 0 } })
      await run()
      // A destination trigger (added to each new table with a skip_odd column, as the shadow table is) drops odd ids.
      await dropOddRowsOnLoad(destination)
      const error = await failure(run())
      expect(error.message).toBe('Row count mismatch for counted.counted: 3 rows read from the source, 2 written to raw.counted.')
      expect(await destination.query(`select id from raw.counted order by id`)).toEqual([{ id: 1 }, { id: 2 }, { id: 4 }])
    } finally {
      await destination.drop()
    }
  })
})
