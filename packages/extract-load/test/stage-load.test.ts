import { randomUUID } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { describeError } from '@elt/core'
import { catalogOf, createPair, runSqlFile, tableRows, tablesOf, type Pair } from './helpers.ts'
import { extractPair, stageConfig, tempStage } from './support/stage-helpers.ts'
import { checkStagedDay } from '../src/stage/check-staged-day.ts'
import { load } from '../src/stage/load-day.ts'
import type { StageRunConfig } from '../src/stage/stage-config.ts'

const loadDay = (pair: Pair, config: StageRunConfig, date: string, select?: string[]) =>
  load({ config, destination: { label: 'destination', url: pair.destination.url }, date, runId: randomUUID(), jobs: 2, connectWaitSeconds: 5, retry: { maxRetries: 1, delaySeconds: 0.1 }, ...(select ? { select } : {}) })

describe('load --date: a staged day into the destination', () => {
  let pair: Pair
  let stage: Awaited<ReturnType<typeof tempStage>>
  beforeAll(async () => {
    pair = await createPair(inject('pgAdminUrl'), 'stage_types')
    stage = await tempStage()
    await runSqlFile(pair.source, new URL('./fixtures/type-coverage.sql', import.meta.url))
  })
  afterAll(async () => {
    await pair?.drop()
    await stage?.remove()
  })

  it('every type of the coverage fixture goes through the stage (gzip CSV) row for row, with the same catalog', async () => {
    const config = stageConfig(stage.dir, { compression: 'gzip' })
    await extractPair(pair, config, '2024-01-15')
    const summary = await loadDay(pair, config, '2024-01-15')
    expect(summary.status).toBe('success')
    const tables = await tablesOf(pair.source, 'public')
    expect(await tablesOf(pair.destination, 'raw')).toEqual(tables)
    for (const table of tables) {
      const expected = await tableRows(pair.source, 'public', table)
      expect(await tableRows(pair.destination, 'raw', table), table).toEqual(expected)
      expect(summary.tables.find((t) => t.source === `public.${table}`)?.rows, table).toBe(expected.length)
    }
    const sourceCatalog = await catalogOf(pair.source, 'public')
    const destinationCatalog = await catalogOf(pair.destination, 'raw')
    for (const key of Object.keys(sourceCatalog)) expect(destinationCatalog[key], key).toEqual(sourceCatalog[key])
    expect(sourceCatalog.types).toHaveLength(6)
    const loads = await pair.destination.query(`select count(*)::int as n from _elt.table_loads where run_id = $1 and status = 'done'`, [summary.runId])
    expect(loads[0]?.n).toBe(tables.length)
  })
})

describe('load --date: older days, refusals, damaged files', () => {
  let pair: Pair
  let stage: Awaited<ReturnType<typeof tempStage>>
  let config: StageRunConfig
  const films = () => pair.destination.query(`select id, title, price::text as price from raw.films order by id`)
  const priceType = async () =>
    (await pair.destination.query<{ t: string }>(`select format_type(atttypid, atttypmod) as t from pg_attribute where attrelid = 'raw.films'::regclass and attname = 'price'`))[0]?.t
  const catalog = () =>
    pair.destination.query(`select c.relname, c.oid::int, c.relfilenode::int from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'raw' order by 1`)

  beforeAll(async () => {
    pair = await createPair(inject('pgAdminUrl'), 'stage_days')
    stage = await tempStage()
    config = stageConfig(stage.dir)
    await pair.source.query(`create table films (id int primary key, title text, price numeric(6, 2));
                             insert into films values (1, 'Alien', 9.50), (2, 'Heat, "the" film', null), (3, '', 0)`)
    await extractPair(pair, config, '2024-01-01')
    // the source changes: rows and a column's type
    await pair.source.query(`alter table films alter column price type text using coalesce(price::text || ' EUR', 'n/a');
                             update films set title = 'Aliens' where id = 1; insert into films values (4, 'Ran', '7 EUR')`)
    await extractPair(pair, config, '2024-01-02')
  })
  afterAll(async () => {
    await pair?.drop()
    await stage?.remove()
  })

  it('loading an older day again restores that day: its rows and its column types', async () => {
    await loadDay(pair, config, '2024-01-02')
    expect(await priceType()).toBe('text')
    expect(await films()).toEqual([
      { id: 1, title: 'Aliens', price: '9.50 EUR' }, { id: 2, title: 'Heat, "the" film', price: 'n/a' }, { id: 3, title: '', price: '0.00 EUR' }, { id: 4, title: 'Ran', price: '7 EUR' },
    ])
    await loadDay(pair, config, '2024-01-01')
    expect(await priceType()).toBe('numeric(6,2)')
    expect(await films()).toEqual([{ id: 1, title: 'Alien', price: '9.50' }, { id: 2, title: 'Heat, "the" film', price: null }, { id: 3, title: '', price: '0.00' }])
  })

  it('a day never extracted, or with a table folder gone, is refused before anything changes', async () => {
    const before = { catalog: await catalog(), rows: await films() }
    await expect(loadDay(pair, config, '2024-01-03').then(() => 'loaded', describeError)).resolves.toBe(
      `Day 2024-01-03 is not completely extracted in the stage ${stage.dir}: missing postgres/<table>/2024-01-03/ (no finished extract of postgres for that day: postgres/_days/2024-01-03.json is missing). Nothing was loaded and the destination is unchanged. Run \`pnpm elt extract --date 2024-01-03 --select source:postgres\` first, then load the day again.`,
    )
    const [day] = await checkStagedDay(stage.dir, '2024-01-02', [{ source: 'postgres' }])
    await rm(day!.tables[0]!.dir, { recursive: true })
    await expect(loadDay(pair, config, '2024-01-02').then(() => 'loaded', describeError)).resolves.toBe(
      `Day 2024-01-02 is not completely extracted in the stage ${stage.dir}: missing postgres/public.films/2024-01-02/ (its folder from run ${day!.record.runId} is gone or has no _manifest.json). Nothing was loaded and the destination is unchanged. Run \`pnpm elt extract --date 2024-01-02 --select source:postgres\` first, then load the day again.`,
    )
    await expect(loadDay(pair, config, '2024-01-01', ['source:postgres.nope']).then(() => 'loaded', describeError)).resolves.toMatch(
      /^Day 2024-01-01 is not completely extracted .*: missing postgres\/nope\/2024-01-01\/ \(not part of the extract of postgres for that day, run /,
    )
    expect({ catalog: await catalog(), rows: await films() }).toEqual(before)
    await extractPair(pair, config, '2024-01-02') // put the day back
  })

  it('a staged file changed after the extract fails the table, which keeps its previous copy', async () => {
    await loadDay(pair, config, '2024-01-01')
    const before = { catalog: await catalog(), rows: await films() }
    const [day] = await checkStagedDay(stage.dir, '2024-01-02', [{ source: 'postgres' }])
    const staged = day!.tables[0]!
    const file = path.join(staged.dir, staged.manifest.files[0]!.name)
    await writeFile(file, (await readFile(file, 'utf8')).replace('Aliens', 'Alienz'))
    const error = await loadDay(pair, config, '2024-01-02').then(() => 'loaded', describeError)
    expect(error).toContain(`The staged file ${file} of postgres: public.films (2024-01-02) does not match its manifest`)
    expect(error).toContain('it was changed or damaged after the extract. The table was not loaded and keeps its previous copy.')
    expect({ catalog: await catalog(), rows: await films() }).toEqual(before)
    const recorded = await pair.destination.query(`select status, message from _elt.table_loads where target_table = 'raw.films' order by started_at desc limit 1`)
    expect(recorded[0]).toMatchObject({ status: 'error' })
  })

  it('loads with the source database gone', async () => {
    await extractPair(pair, config, '2024-01-02')
    await pair.source.drop()
    const summary = await loadDay(pair, config, '2024-01-02')
    expect(summary.tables.map((t) => [t.target, t.rows])).toEqual([['raw.films', 4]])
    expect(await priceType()).toBe('text')
  })
})

describe('a CSV source through the stage', () => {
  let pair: Pair
  let stage: Awaited<ReturnType<typeof tempStage>>
  let file: string
  const configOf = (extra: Record<string, unknown> = {}) =>
    ({ sources: { sales: { kind: 'csv', path: file, table: 'sales', targetSchema: 'raw', inferRows: 2, ...extra } }, stage: { dir: stage.dir, compression: 'gzip' }, timezone: 'UTC' }) as StageRunConfig
  beforeAll(async () => {
    pair = await createPair(inject('pgAdminUrl'), 'stage_csv')
    stage = await tempStage()
    file = path.join(stage.dir, 'sales.csv')
    await writeFile(file, 'id,amount,note\n1,10,"Café, ""chez"" Zoé"\n2,20,\n3,30,plain\n4,70000,"two\nlines"\n5,2.5,Ünïcödé\n')
  })
  afterAll(async () => {
    await pair?.drop()
    await stage?.remove()
  })

  it('loads what a direct load gives: a late value widens an inferred column, empty fields are NULL', async () => {
    const config = configOf()
    const extracted = await extractPair(pair, config, '2024-05-01')
    expect(extracted.summary.tables).toMatchObject([{ source: 'sales', table: 'sales', rows: 5, files: 1 }])
    const summary = await loadDay(pair, config, '2024-05-01')
    expect(summary.tables.map((t) => [t.target, t.rows])).toEqual([['raw.sales', 5]])
    const types = await pair.destination.query(`select attname, format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = 'raw.sales'::regclass and attnum > 0 order by attnum`)
    expect(types).toEqual([{ attname: 'id', type: 'integer' }, { attname: 'amount', type: 'numeric' }, { attname: 'note', type: 'text' }])
    expect(await pair.destination.query(`select id, amount::text, note from raw.sales order by id`)).toEqual([
      { id: 1, amount: '10', note: 'Café, "chez" Zoé' }, { id: 2, amount: '20', note: null }, { id: 3, amount: '30', note: 'plain' },
      { id: 4, amount: '70000', note: 'two\nlines' }, { id: 5, amount: '2.5', note: 'Ünïcödé' },
    ])
  })

  it('a value that does not fit a declared type fails the table naming the staged file, line and column', async () => {
    const config = configOf({ columns: { amount: 'smallint' } })
    await extractPair(pair, config, '2024-05-02')
    const [day] = await checkStagedDay(stage.dir, '2024-05-02', [{ source: 'sales' }])
    const staged = path.join(day!.tables[0]!.dir, 'part-0001.csv.gz')
    const error = await loadDay(pair, config, '2024-05-02').then(() => 'loaded', describeError)
    expect(error).toContain(`${staged}, line 6, column "amount": "70000" is not a valid smallint`)
    expect(await pair.destination.query(`select count(*)::int as n from raw.sales`)).toEqual([{ n: 5 }]) // the previous copy
  })

  it("onError: 'quarantine' keeps the good rows and records the bad ones, as a direct load does", async () => {
    const config = configOf({ columns: { amount: 'smallint' }, onError: 'quarantine' })
    await extractPair(pair, config, '2024-05-03')
    const [day] = await checkStagedDay(stage.dir, '2024-05-03', [{ source: 'sales' }])
    const staged = path.join(day!.tables[0]!.dir, 'part-0001.csv.gz')
    const summary = await loadDay(pair, config, '2024-05-03')
    expect(summary.tables).toMatchObject([{ target: 'raw.sales', rows: 3 }])
    expect(await pair.destination.query(`select id from raw.sales order by id`)).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }])
    const rejected = await pair.destination.query(`select file, line::int, raw from _elt_audit.rejected_rows where run_id = $1 order by line`, [summary.runId])
    expect(rejected).toEqual([
      { file: staged, line: 5, raw: '4,70000,"two\nlines"' },
      { file: staged, line: 7, raw: '5,2.5,Ünïcödé' },
    ])
    expect(summary.tables[0]?.rejected).toBe(rejected.length)
  })
})
