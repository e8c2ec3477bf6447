/**
 * `pnpm bench:incremental [--rows N] [--changed 0.01] [--jobs N]`: on one table of `--rows` rows (default 5,000,000),
 * in one run and on the same data, times
 *   1. a full replicate of it (`strategy: 'full'`: shadow table, COPY, primary key, ANALYZE, swap),
 *   2. the first run of `strategy: 'incremental'` (the same whole copy plus the cursor's high-water mark),
 *   3. after `--changed` (default 1 %) of the rows were updated at the source: an incremental run (the window
 *      COPY into a temporary table and the set-based upsert), twice: with the changed rows spread evenly over the
 *      table (every 100th row: every page of the raw table is rewritten, each with a full-page image in the WAL
 *      after the checkpoint — the worst case) and with the most recent 1 % changed (orders still moving: the
 *      usual case),
 *   4. after as many new rows were inserted at the source (new orders: inserts only, no old row rewritten),
 *   5. the same with `deletes: 'compare-keys'` (every source key streamed and anti-joined) after another 1 %,
 * and prints each time and its ratio to the full replicate (target for 3: ≤ 0.05).
 * It also times PostgreSQL's own share of 3, the floor for any loader that merges in place: between 1
 * and 2, on the raw table as 1 loaded it, the same upsert statement (`upsertSql`) of the same rows
 * changed the same way, run by hand with the window already in a temporary table, the table vacuumed
 * and in shared buffers (`pg_prewarm`), after a checkpoint; then rolled back (2 then replaces the table
 * with a fresh copy).
 * Two embedded PostgreSQL servers (source, destination) are started in a temporary folder and deleted at the end;
 * an untimed full replicate first gives the destination the WAL segment files a running server has.
 * The source table has an index on its cursor column (`updated_at`), as a table read incrementally should.
 * `--destination-wal logical` runs the destination with `wal_level=logical` (like any server with a
 * standby, WAL archiving or a managed service: every write is WAL-logged, the full copy's too)
 * instead of the embedded default `minimal` (a table loaded in the transaction that creates it skips
 * the WAL, which makes the full copy cheap).
 * Not a test: it prints a table of seconds and ratios; `--steps` prints each run's step times.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { startEmbeddedServer, type EmbeddedServer } from '@elt/core'
import { createTestDatabase } from '@elt/core/testing'
import { loadSources, postgresReader, type LoadSourcesSummary, type TableStrategy } from '../src/index.ts'
import { upsertSql } from '../src/write/merge/merge-sql.ts'

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '5000000' },
    changed: { type: 'string', default: '0.01' },
    jobs: { type: 'string', default: '2' },
    steps: { type: 'boolean', default: false },
    'destination-wal': { type: 'string', default: 'minimal' },
  },
})
const walLevels = ['minimal', 'logical'] as const
const destinationWal = walLevels.find((w) => w === values['destination-wal'])
if (destinationWal === undefined) throw new Error(`--destination-wal: minimal or logical, not ${values['destination-wal']}`)
const rows = Number(values.rows)
const changedShare = Number(values.changed)
const every = Math.max(1, Math.round(1 / changedShare))

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'elt-bench-incremental-'))
  const servers: EmbeddedServer[] = []
  try {
    const [src, dst] = await Promise.all([
      startEmbeddedServer({ dir: path.join(dir, 'source'), ephemeral: true }),
      startEmbeddedServer({ dir: path.join(dir, 'destination'), ephemeral: true, walLevel: destinationWal }),
    ])
    servers.push(src, dst)
    const source = await createTestDatabase(src.urlFor('postgres'), 'bench_src')
    const destination = await createTestDatabase(dst.urlFor('postgres'), 'bench_dst')
    console.log(`generating ${rows.toLocaleString('en')} rows…`)
    await source.query(`
      create table orders (order_id bigint primary key, customer_id int not null, status text not null, amount numeric(12,2) not null,
                           note text, updated_at timestamptz not null);
      insert into orders select g, g % 50000, 'new', (g % 10000) / 100.0, 'order note ' || md5(g::text), timestamptz '2026-01-01' + g * interval '1 second'
        from generate_series(1, ${rows}) g;
      create index on orders (updated_at);`)
    await source.query('vacuum analyze orders')

    const run = async (tables: Record<string, TableStrategy>, fullRefresh = false): Promise<{ seconds: number; summary: LoadSourcesSummary }> => {
      await Promise.all([source.query('checkpoint'), destination.query('checkpoint')])
      const started = performance.now()
      const summary = await loadSources({
        sources: [{ name: 'postgres', reader: postgresReader, config: { schemas: ['public'], tables }, targetSchema: 'raw', database: { label: 'source', url: source.url } }],
        destination: { label: 'destination', url: destination.url },
        jobs: Number(values.jobs),
        fullRefresh,
        onEvent: (e) => {
          if (values.steps && e.type === 'step-finished') console.log(`  ${e.step}: ${e.seconds.toFixed(3)} s`)
        },
      })
      return { seconds: (performance.now() - started) / 1000, summary }
    }
    // each step's changes spread over the hour after the last step's (the rows' own clock): a run's lookback re-reads the last minute of the previous step, as between real runs
    let step = 0
    const changes = (at: number) =>
      `status = 'paid', amount = amount + 1, updated_at = timestamptz '2027-01-01' + ${at} * interval '1 hour' + (order_id % 3600) * interval '1 second'`
    const change = async (where: string) => {
      step++
      const result = await source.query<{ n: number }>(`with u as (update orders set ${changes(step)} where ${where} returning 1) select count(*)::int as n from u`)
      await source.query('vacuum analyze orders')
      return result[0]!.n
    }
    /** PostgreSQL's own share of 3 (see the header): seconds of each upsert alone, the rows `where` picks changed as `change` changes them at step `at`. */
    const upsertFloors = async (windows: readonly { where: string; at: number }[]): Promise<number[]> => {
      const client = new pg.Client({ connectionString: destination.url })
      await client.connect()
      try {
        const { rows: columns } = await client.query<{ name: string; type: string }>(
          `select attname as name, format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = 'raw.orders'::regclass and attnum > 0 and not attisdropped order by attnum`,
        )
        await client.query('vacuum raw.orders') // what autovacuum would start now, after the load: done before, not during, the timing
        // a floor: the table and its indexes in shared buffers, so no page is read from the OS
        await client.query(`create extension if not exists pg_prewarm;
          select pg_prewarm(r::regclass) from (select 'raw.orders'::regclass::oid union all select indexrelid from pg_index where indrelid = 'raw.orders'::regclass) p(r)`)
        const seconds: number[] = []
        for (const { where, at } of windows) {
          await client.query('begin')
          await client.query(`create temp table elt_delta on commit drop as select * from raw.orders where ${where}`)
          await client.query(`update pg_temp.elt_delta set ${changes(at)}`)
          await destination.query('checkpoint')
          const started = performance.now()
          await client.query(upsertSql('raw.orders', 'pg_temp.elt_delta', columns, ['order_id']))
          seconds.push((performance.now() - started) / 1000)
          await client.query('rollback')
          await client.query('vacuum raw.orders')
        }
        return seconds
      } finally {
        await client.end()
      }
    }
    const incremental: Record<string, TableStrategy> = { 'public.orders': { strategy: 'incremental', cursor: 'updated_at', lookback: '1 minute' } }
    const compare: Record<string, TableStrategy> = { 'public.orders': { ...incremental['public.orders']!, deletes: 'compare-keys' } }

    const results: [string, number, LoadSourcesSummary][] = []
    // untimed: a fresh server creates (and zero-fills) a WAL segment file for every 16 MB it writes, which a
    // server that has been running recycles; timed first, the full replicate paid for that (11.4 s against
    // 8.9 s for the same copy timed next, with wal_level=logical)
    await run({})
    const full = await run({})
    results.push(['full replicate', full.seconds, full.summary])
    const spread = `order_id % ${every} = 0`
    const mostRecent = `order_id > ${rows - Math.round(rows * changedShare)}`
    // the steps their changes get below: 1 and 2
    const [floorSpread, floorRecent] = await upsertFloors([{ where: spread, at: 1 }, { where: mostRecent, at: 2 }])
    const first = await run(incremental, true)
    results.push(['incremental, first run (whole copy + mark)', first.seconds, first.summary])
    const changed1 = await change(spread)
    const later = await run(incremental)
    results.push([`incremental, ${changed1.toLocaleString('en')} rows changed, spread evenly`, later.seconds, later.summary])
    const changedRecent = await change(mostRecent)
    const recent = await run(incremental)
    results.push([`incremental, the ${changedRecent.toLocaleString('en')} most recent rows changed`, recent.seconds, recent.summary])
    step++
    const added = Math.round(rows * changedShare)
    await source.query(
      `insert into orders select g, g % 50000, 'new', (g % 10000) / 100.0, 'order note ' || md5(g::text), timestamptz '2027-01-01' + ${step} * interval '1 hour' + (g % 3600) * interval '1 second'
         from generate_series(${rows + 1}, ${rows + added}) g`,
    )
    await source.query('vacuum analyze orders')
    const inserted = await run(incremental)
    results.push([`incremental, ${added.toLocaleString('en')} new rows inserted`, inserted.seconds, inserted.summary])
    const changed2 = await change(`order_id % ${every} = 1`)
    await source.query(`delete from orders where order_id % ${every * 10} = 2`)
    const withKeys = await run(compare)
    results.push([`incremental + compare-keys after ${changed2.toLocaleString('en')} changed, some deleted`, withKeys.seconds, withKeys.summary])

    console.log(`\n${rows.toLocaleString('en')} rows, ${(changedShare * 100).toFixed(1)} % changed per step, jobs ${values.jobs}, destination wal_level=${destinationWal}`)
    console.log(['run'.padEnd(62), 'seconds'.padStart(8), 'x full'.padStart(8), 'read'.padStart(11), 'ins'.padStart(8), 'upd'.padStart(8), 'del'.padStart(8)].join(' '))
    for (const [name, seconds, summary] of results) {
      const t = summary.tables[0]!
      console.log(
        [name.padEnd(62), seconds.toFixed(2).padStart(8), (seconds / full.seconds).toFixed(3).padStart(8), t.rows.toLocaleString('en').padStart(11), String(t.inserted).padStart(8), String(t.updated).padStart(8), String(t.deleted).padStart(8)].join(' '),
      )
    }
    for (const [what, t] of [['1 % changed, spread evenly', later.seconds], ['1 % changed, most recent rows', recent.seconds], ['1 % new rows', inserted.seconds]] as const) {
      const ratio = t / full.seconds
      console.log(`incremental / full, ${what}: ${ratio.toFixed(3)} (target ≤ 0.05): ${ratio <= 0.05 ? 'met' : 'NOT met'}`)
    }
    for (const [what, floor] of [['spread evenly', floorSpread!], ['most recent rows', floorRecent!]] as const) {
      console.log(`PostgreSQL's upsert alone, by hand, 1 % changed, ${what}: ${floor.toFixed(2)} s = ${(floor / full.seconds).toFixed(3)} × full (the floor for merging in place)`)
    }
  } finally {
    for (const s of servers) await s.stop().catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
