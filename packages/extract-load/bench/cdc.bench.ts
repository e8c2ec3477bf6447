/**
 * `pnpm bench:cdc [--seconds N] [--rate N] [--batch N]`: change data capture under sustained load. An embedded
 * PostgreSQL with `wal_level=logical` (one server: source and destination databases, deleted at the end); the
 * `changes` table (100,000 rows) is copied through its slot, then a follower (`replicateCdc` with `follow`, in a
 * child process of its own, as `pnpm elt replicate --follow` runs it) streams while this process writes `--rate`
 * row changes per second (default 5,000: transactions of `--batch` rows, default 250, half updates, 40 % inserts,
 * 10 % deletes) for `--seconds` (default 60). Reports the lag of every applied transaction (source commit →
 * destination commit: p50, p95, max), the rate achieved, the catch-up time after the load stops, and the
 * follower's peak RSS. Targets: p95 lag < 2 s, peak RSS < 250 MB. Not a test.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { startEmbeddedServer } from '@elt/core'
import { createTestDatabase } from '@elt/core/testing'
import { replicateCdc } from '../src/sources/postgres-cdc/index.ts'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    rate: { type: 'string', default: '5000' },
    batch: { type: 'string', default: '250' },
    child: { type: 'boolean', default: false },
    source: { type: 'string' },
    destination: { type: 'string' },
  },
})

if (values.child) {
  // the follower: one line per applied transaction, its peak RSS when stopped
  const controller = new AbortController()
  process.on('SIGINT', () => controller.abort())
  await replicateCdc({
    sourceName: 'bench',
    source: { label: 'source', url: values.source! },
    destination: { label: 'destination', url: values.destination! },
    tables: ['public.changes'],
    targetSchema: 'raw',
    follow: true,
    signal: controller.signal,
    onApplied: (p) => process.stdout.write(`lag ${p.lagSeconds} ${p.changes}\n`),
  })
  process.stdout.write(`rss ${process.resourceUsage().maxRSS}\n`)
  process.exit(0)
}

const seconds = Number(values.seconds)
const rate = Number(values.rate)
const batch = Number(values.batch)
const dir = await mkdtemp(path.join(os.tmpdir(), 'elt-bench-cdc-'))
const server = await startEmbeddedServer({ dir, ephemeral: true, walLevel: 'logical' })
try {
  const source = await createTestDatabase(server.urlFor('postgres'), 'bench_cdc_src')
  const destination = await createTestDatabase(server.urlFor('postgres'), 'bench_cdc_dst')
  await source.query(`create table changes (id bigint primary key, v int not null, note text, at timestamptz not null default now());
    insert into changes select g, 0, md5(g::text), now() from generate_series(1, 100000) g`)
  const first = await replicateCdc({ sourceName: 'bench', source: { label: 'source', url: source.url }, destination: { label: 'destination', url: destination.url }, tables: ['public.changes'], targetSchema: 'raw' })
  console.error(`initial copy: ${first.initialCopy?.tables[0]?.rows} rows`)

  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', '--source', source.url, '--destination', destination.url], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lags: number[] = []
  let applied = 0
  let rss = 0
  let buffered = ''
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    for (const line of lines) {
      const [kind, a, b] = line.split(' ')
      if (kind === 'lag') {
        lags.push(Number(a))
        applied += Number(b)
      } else if (kind === 'rss') rss = Number(a)
    }
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))

  const writer = new pg.Client({ connectionString: source.url })
  await writer.connect()
  await new Promise((r) => setTimeout(r, 2000)) // the follower connects and starts streaming
  const updates = Math.round(batch * 0.5)
  const inserts = Math.round(batch * 0.4)
  const deletes = batch - updates - inserts
  const interval = (batch / rate) * 1000
  let nextId = 100001
  let oldest = 1
  let written = 0
  const started = performance.now()
  for (let i = 0; performance.now() - started < seconds * 1000; i++) {
    const due = started + i * interval
    const wait = due - performance.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    const from = oldest + deletes + Math.floor(Math.random() * 50000)
    await writer.query(`begin;
      update changes set v = v + 1, at = now() where id between ${from} and ${from + updates - 1};
      insert into changes (id, v, note) select g, 0, md5(g::text) from generate_series(${nextId}, ${nextId + inserts - 1}) g;
      delete from changes where id between ${oldest} and ${oldest + deletes - 1};
      commit`)
    nextId += inserts
    oldest += deletes
    written += batch
  }
  const loadSeconds = (performance.now() - started) / 1000
  const { rows } = await writer.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn')
  const stopAt = performance.now()
  for (;;) {
    const { rows: slot } = await writer.query<{ ok: boolean }>(`select confirmed_flush_lsn >= $1::pg_lsn as ok from pg_replication_slots where slot_name = 'elt_bench'`, [rows[0]!.lsn])
    if (slot[0]?.ok) break
    if (performance.now() - stopAt > 120_000) throw new Error('the follower did not catch up within 120 s')
    await new Promise((r) => setTimeout(r, 50))
  }
  const catchUp = (performance.now() - stopAt) / 1000
  child.kill('SIGINT')
  await exited
  const [src] = await source.query<{ n: string; s: string }>('select count(*)::text as n, sum(v)::text as s from changes')
  const [dst] = await destination.query<{ n: string; s: string }>('select count(*)::text as n, sum(v)::text as s from raw.changes')
  await writer.end()
  lags.sort((a, b) => a - b)
  const pct = (p: number) => lags[Math.min(lags.length - 1, Math.floor((p / 100) * lags.length))] ?? NaN
  const result = {
    seconds: Number(loadSeconds.toFixed(1)),
    changesWritten: written,
    ratePerSecond: Math.round(written / loadSeconds),
    changesApplied: applied,
    transactions: lags.length,
    lagP50Seconds: Number(pct(50).toFixed(3)),
    lagP95Seconds: Number(pct(95).toFixed(3)),
    lagMaxSeconds: Number((lags.at(-1) ?? NaN).toFixed(3)),
    catchUpSeconds: Number(catchUp.toFixed(2)),
    followerPeakRssMB: Math.round(rss / 1024),
    sourceAndRawEqual: src?.n === dst?.n && src?.s === dst?.s,
  }
  console.log(JSON.stringify(result, null, 2))
  console.log(`CDC ${result.ratePerSecond} changes/s for ${result.seconds} s: lag p50 ${result.lagP50Seconds} s, p95 ${result.lagP95Seconds} s (target < 2 s), max ${result.lagMaxSeconds} s; caught up ${result.catchUpSeconds} s after the load; follower peak RSS ${result.followerPeakRssMB} MB (target < 250 MB); source = raw: ${result.sourceAndRawEqual}`)
  await source.drop()
  await destination.drop()
} finally {
  await server.stop()
  await rm(dir, { recursive: true, force: true })
}
