import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFile, readdir, readlink, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { describeError, sleep } from '@elt/core'
import { createPair, type Pair } from './helpers.ts'
import { extractPair, stageConfig, tempStage } from './support/stage-helpers.ts'
import { checkStagedDay } from '../src/stage/check-staged-day.ts'
import { readStageDayRecord, readStageManifest } from '../src/stage/stage-manifest.ts'
import { stageReader } from '../src/stage/stage-reader.ts'
import { silentLogger, defaultRetryPolicy } from '@elt/core'

let pair: Pair
let stage: Awaited<ReturnType<typeof tempStage>>

beforeAll(async () => {
  pair = await createPair(inject('pgAdminUrl'), 'stage_extract')
  stage = await tempStage()
  await pair.source.query(`
    create type mood as enum ('sad', 'ok', 'happy');
    create table films (film_id serial primary key, title text not null, price numeric(6, 2), released timestamptz, tags text[], meta jsonb, poster bytea, mood mood);
    insert into films (title, price, released, tags, meta, poster, mood)
      select 'Film ' || i || case when i % 7 = 0 then E', "quoted"\nline' else '' end, i * 1.25, timestamptz '2020-01-01 00:00+00' + i * interval '1 hour',
             array['a', null, 'b,c'], jsonb_build_object('i', i, 'ü', 'ö'), decode(lpad(to_hex(i), 8, '0'), 'hex'), (array['sad', 'ok', 'happy'])[1 + i % 3]::mood
        from generate_series(1, 500) i;
    insert into films (title) values ('');
    create table empty_one (id int primary key);
  `)
})

afterAll(async () => {
  await pair?.drop()
  await stage?.remove()
})

const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex')

describe('extract --date', () => {
  it('writes each table to <source>/<table>/<date>/ with a manifest, checksums and the day record', async () => {
    const { summary } = await extractPair(pair, stageConfig(stage.dir, { compression: 'gzip' }), '2024-01-15')
    expect(summary.tables.map((t) => [t.table, t.rows, t.files]).sort()).toEqual([['public.empty_one', 0, 1], ['public.films', 501, 1]])

    const day = path.join(stage.dir, 'postgres', 'public.films', '2024-01-15')
    expect(await readlink(day)).toBe(`.2024-01-15.${summary.runId}`)
    expect((await readdir(day)).sort()).toEqual(['_manifest.json', 'part-0001.csv.gz'])
    const manifest = (await readStageManifest(path.join(day, '_manifest.json')))!
    expect(manifest).toMatchObject({ source: 'postgres', date: '2024-01-15', runId: summary.runId, rows: 501, compression: 'gzip' })
    expect(manifest.table.columns.map((c) => `${c.name} ${c.type}`)).toEqual([
      'film_id integer', 'title text', 'price numeric(6,2)', 'released timestamp with time zone', 'tags text[]', 'meta jsonb', 'poster bytea', 'mood mood',
    ])
    expect(manifest.types.map((t) => [t.name, t.labels])).toEqual([['mood', ['sad', 'ok', 'happy']]])
    const file = manifest.files[0]!
    expect(file.sha256).toBe(await sha256(path.join(day, file.name)))
    expect(file.fileBytes).toBe((await stat(path.join(day, file.name))).size)
    const csv = gunzipSync(await readFile(path.join(day, file.name))).toString()
    expect(csv.startsWith('film_id,title,price,released,tags,meta,poster,mood\n')).toBe(true)
    expect(file.bytes).toBe(Buffer.byteLength(csv))

    const record = (await readStageDayRecord(path.join(stage.dir, 'postgres', '_days', '2024-01-15.json')))!
    expect(record.runId).toBe(summary.runId)
    expect(record.tables.sort()).toEqual(['public.empty_one', 'public.films'])
    const rows = await pair.destination.query(`select stage_table, status, rows::int, files from _elt.stage_extracts where run_id = $1 order by 1`, [summary.runId])
    expect(rows).toEqual([{ stage_table: 'public.empty_one', status: 'done', rows: 0, files: 1 }, { stage_table: 'public.films', status: 'done', rows: 501, files: 1 }])
  })

  it('extracting the same day again replaces it: new run folder, the old one removed', async () => {
    const config = stageConfig(stage.dir)
    const first = await extractPair(pair, config, '2024-01-16')
    await pair.source.query(`delete from films where film_id > 100`)
    const second = await extractPair(pair, config, '2024-01-16')
    const tableDir = path.join(stage.dir, 'postgres', 'public.films')
    const names = (await readdir(tableDir)).filter((n) => n.includes('2024-01-16'))
    expect(names.sort()).toEqual(['.2024-01-16.' + second.summary.runId, '2024-01-16'])
    expect(names).not.toContain('.2024-01-16.' + first.summary.runId)
    const [day] = await checkStagedDay(stage.dir, '2024-01-16', [{ source: 'postgres' }])
    expect(day!.tables.find((t) => t.folder === 'public.films')!.manifest.rows).toBe(100)
    await pair.source.query(`insert into films (title) select 'again ' || i from generate_series(1, 401) i`)
  })

  it('a staged file changed after the extract fails its read with the file named', async () => {
    const config = stageConfig(stage.dir)
    await extractPair(pair, config, '2024-01-17')
    const [day] = await checkStagedDay(stage.dir, '2024-01-17', [{ source: 'postgres', tables: ['public.films'] }])
    const staged = day!.tables[0]!
    const file = path.join(staged.dir, staged.manifest.files[0]!.name)
    const text = await readFile(file, 'utf8')
    await writeFile(file, text.replace('Film 2,', 'Film 3,'))
    const session = await stageReader.open({ stageDir: stage.dir, day: day! }, { sourceName: 'postgres', targetSchema: 'raw', connectWaitSeconds: 1, retry: defaultRetryPolicy, logger: silentLogger })
    const reader = await session.worker()
    const [table] = (await session.discover()).tables
    const drain = async () => {
      for await (const part of reader.read(table!, { preferred: 'csv' })) for await (const _ of part.stream) void _
    }
    await expect(drain()).rejects.toThrow(`The staged file ${file} of postgres: public.films (2024-01-17) does not match its manifest`)
  })

  it('keepDays prunes the days before the last N after a successful extract', async () => {
    const own = await tempStage()
    try {
      for (const date of ['2024-02-01', '2024-02-03', '2024-02-04']) await extractPair(pair, stageConfig(own.dir, { keepDays: 2 }), date)
      expect((await readdir(path.join(own.dir, 'postgres', '_days'))).sort()).toEqual(['2024-02-03.json', '2024-02-04.json'])
      expect((await readdir(path.join(own.dir, 'postgres', 'public.films'))).filter((n) => n.includes('2024-02-01'))).toEqual([])
      await expect(checkStagedDay(own.dir, '2024-02-01', [{ source: 'postgres' }])).rejects.toThrow(/Day 2024-02-01 is not completely extracted/)
      expect((await checkStagedDay(own.dir, '2024-02-03', [{ source: 'postgres' }]))[0]!.tables).toHaveLength(2)
    } finally {
      await own.remove()
    }
  })

  it('kill -9 during an extract leaves no day visible; the next extract cleans up and publishes it', async () => {
    const own = await tempStage()
    const script = fileURLToPath(new URL('./support/extract-process.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', script, pair.source.url, pair.destination.url, own.dir, '2024-03-01', 'films'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
    try {
      const ready = () => out.includes('"stalled"') && out.includes('"table-finished"')
      for (const deadline = Date.now() + 60_000; Date.now() < deadline && child.exitCode === null && !ready(); ) await sleep(20)
      expect(ready(), `the extract did not reach the stalled table: ${stderr}`).toBe(true)
      child.kill('SIGKILL')
      await exited
      const films = path.join(own.dir, 'postgres', 'public.films')
      // the half-written run folder is hidden; no <date> folder, no day record
      expect((await readdir(films)).filter((n) => !n.startsWith('.'))).toEqual([])
      expect((await readdir(path.join(own.dir, 'postgres', 'public.empty_one'))).filter((n) => !n.startsWith('.'))).toEqual([])
      await expect(readdir(path.join(own.dir, 'postgres', '_days'))).rejects.toThrow(/ENOENT/)
      expect(await checkStagedDay(own.dir, '2024-03-01', [{ source: 'postgres' }]).then(() => 'complete', describeError)).toBe(
        `Day 2024-03-01 is not completely extracted in the stage ${own.dir}: missing postgres/<table>/2024-03-01/ (no finished extract of postgres for that day: postgres/_days/2024-03-01.json is missing). Nothing was loaded and the destination is unchanged. Run \`pnpm elt extract --date 2024-03-01 --select source:postgres\` first, then load the day again.`,
      )

      const { summary } = await extractPair(pair, stageConfig(own.dir), '2024-03-01')
      expect((await readdir(films)).sort()).toEqual([`.2024-03-01.${summary.runId}`, '2024-03-01'])
      expect((await readdir(path.join(own.dir, 'postgres'))).sort()).toEqual(['_days', 'public.empty_one', 'public.films'])
      // the killed run's finished table is no longer recorded `done`: its files went with its unpublished day
      const killed = await pair.destination.query<{ stage_table: string; status: string; message: string | null }>(
        `select stage_table, status, message from _elt.stage_extracts where day = '2024-03-01' and run_id <> $1 order by stage_table`,
        [summary.runId],
      )
      expect(killed.map((r) => [r.stage_table, r.status])).toEqual([['public.empty_one', 'discarded'], ['public.films', 'running']])
      expect(killed[0]!.message).toBe(`Written, then removed with the unpublished day of postgres: its extract ended before publishing it (killed?); run ${summary.runId} removed the files.`)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
      await own.remove()
    }
  })
})
