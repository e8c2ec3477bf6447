/**
 * `pnpm bench:csv [--size 1GB] [--runs 2]`: loads one generated CSV file (mixed types: integers,
 * numeric, double precision, boolean, date, timestamptz, text with quoted commas, non-ASCII text
 * and empty fields) into one embedded PostgreSQL in a temporary folder, and times, on the same file:
 *   1. `psql -c "\copy t from file csv header"` into a table created beforehand (untimed) — the issue's baseline;
 *   2. the same `\copy` with the table created in the same transaction (`psql -1`), which on this
 *      `wal_level=minimal` server skips the WAL as our path does — the like-for-like baseline;
 *   3. what `pnpm elt replicate` runs for a CSV source, as a child process (peak RSS from `/usr/bin/time -v`):
 *      `loadSources` with the CSV reader — describe the file (dialect + type inference over the first 10,000
 *      rows) — and the shared writer: in one transaction the shadow table, `COPY … FROM STDIN (FORMAT csv …)`
 *      with the file's bytes streamed from Node, ANALYZE, swap, and the `_elt` records.
 * `--quarantine` adds 4. the Node-parsing path that `onError: 'quarantine'` takes once a file has bad rows
 *    (copyCsvFile with onRejected, forced on this clean file; informative, no target).
 * The file is written by a stream (never built in memory) and deleted at the end. Each method runs `--runs`
 * times on a fresh database after a CHECKPOINT, in an order that rotates from run to run; the best time counts.
 * Not a test: it prints seconds, ratios and peak memory.
 */
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { qualifiedName, startEmbeddedServer, type EmbeddedServer } from '@elt/core'
import { createTestDatabase } from '@elt/core/testing'
import { copyCsvFile } from '../src/sources/csv/copy-csv-file.ts'
import { csvTableDdl } from '../src/sources/csv/csv-table-ddl.ts'
import { describeCsvSource } from '../src/sources/csv/describe-csv-source.ts'
import { migrateRejectedRows, RejectedRowsWriter } from '../src/sources/csv/rejected-rows.ts'
import { csvReader } from '../src/sources/csv/csv-reader.ts'
import { loadSources } from '../src/write/load-sources.ts'
import { timedShell as sh } from './timed-shell.ts'

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '1GB' },
    runs: { type: 'string', default: '2' },
    quarantine: { type: 'boolean', default: false },
    // internal: the child process that runs our path (`--mode quarantine`: the Node-parsing path)
    mode: { type: 'string', default: 'copy' },
    load: { type: 'string' },
    url: { type: 'string' },
  },
})
const psql = '/usr/lib/postgresql/15/bin/psql'

/** The column types the generated file has (the pre-created table's); our path must infer the same. */
const columns = [
  ['id', 'integer'],
  ['user_id', 'integer'],
  ['name', 'text'],
  ['amount', 'numeric'],
  ['score', 'double precision'],
  ['active', 'boolean'],
  ['day', 'date'],
  ['created_at', 'timestamptz'],
  ['city', 'text'],
  ['note', 'text'],
] as const

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?$/i.exec(text.trim())
  if (!m) throw new Error(`--size: expected e.g. 50MB or 1GB, got ${text}`)
  const unit = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[(m[2] ?? 'B').toUpperCase() as 'B']
  return Math.round(Number(m[1]) * unit)
}

const cities = ['São Paulo', 'Zürich', 'Kraków', 'Reykjavík', 'Москва', '東京', 'Montréal', 'Lisboa', 'Oslo', 'Porto Alegre']
const names = ['Ana', 'Bruno', 'Chloé', 'Dmitri', 'Eun-ji', 'François', 'Gül', 'Håkon', 'Ingrid', 'João']

/** Writes the CSV with backpressure, ~1 MB per write, until `bytes` are written; returns the row count. */
async function generate(file: string, bytes: number): Promise<number> {
  const out = createWriteStream(file)
  let written = 0
  let id = 0
  let chunk = columns.map(([name]) => name).join(',') + '\n'
  const day0 = Date.UTC(2020, 0, 1)
  while (written + chunk.length < bytes) {
    id++
    const n = (id * 2654435761) >>> 0 // a cheap deterministic spread
    const day = new Date(day0 + (n % 1500) * 86_400_000).toISOString().slice(0, 10)
    const name = n % 7 === 0 ? `"${names[n % 10]}, ${names[(n >> 4) % 10]}"` : `${names[n % 10]} ${id}`
    chunk +=
      `${id},${n % 100000},${name},${(n % 1000000) / 100},${(n % 997) / 10}e-${n % 5},${n % 2 === 0},${day},` +
      `${day}T${String(n % 24).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}:00Z,${cities[n % 10]},${n % 3 === 0 ? '' : `note ${n % 1000}`}\n`
    if (chunk.length >= 1 << 20) {
      written += Buffer.byteLength(chunk)
      if (!out.write(chunk)) await once(out, 'drain')
      chunk = ''
    }
  }
  out.end(chunk)
  await once(out, 'finish')
  return id
}

/** Our path, in this (child) process: prints `{ rows, seconds, types }` as JSON. */
async function loadOurs(file: string, url: string, quarantine: boolean): Promise<void> {
  if (!quarantine) return loadSourcesPath(file, url)
  const started = performance.now()
  const description = await describeCsvSource({ path: file, table: 't' })
  const client = new pg.Client({ connectionString: url })
  const audit = new pg.Client({ connectionString: url })
  await Promise.all([client.connect(), audit.connect()])
  try {
    let rejected: RejectedRowsWriter | undefined
    if (quarantine) {
      await migrateRejectedRows(audit)
      rejected = new RejectedRowsWriter(audit, { runId: crypto.randomUUID(), source: 'bench', targetTable: 'public.t' })
    }
    const table = qualifiedName('public', 't')
    await client.query('begin')
    await client.query(csvTableDdl(table, description.columns))
    const { rows } = await copyCsvFile(client, {
      table,
      file,
      columns: description.columns,
      dialect: description.dialect,
      freeze: true,
      ...(rejected ? { onRejected: (row) => rejected.add(row) } : {}),
    })
    await rejected?.flush()
    await client.query('commit')
    const seconds = (performance.now() - started) / 1000
    console.log(JSON.stringify({ rows, seconds, types: description.columns.map((c) => c.type) }))
  } finally {
    await Promise.all([client.end(), audit.end()])
  }
}

/** `loadSources` with the CSV reader into `public.t`, as `pnpm elt replicate` loads a CSV source. */
async function loadSourcesPath(file: string, url: string): Promise<void> {
  const started = performance.now()
  const summary = await loadSources({
    sources: [{ name: 'bench', reader: csvReader, config: { path: file, table: 't' }, targetSchema: 'public' }],
    destination: { label: 'destination', url },
    jobs: 1,
  })
  const seconds = (performance.now() - started) / 1000
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ type: string }>(`select format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = 'public.t'::regclass and attnum > 0 order by attnum`)
    console.log(JSON.stringify({ rows: summary.tables[0]?.rows, seconds, types: rows.map((r) => r.type) }))
  } finally {
    await client.end()
  }
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

async function checkpoint(server: EmbeddedServer): Promise<void> {
  const client = new pg.Client({ connectionString: server.urlFor('postgres') })
  await client.connect()
  await client.query('CHECKPOINT').finally(() => client.end())
}

const allMethods = ['precreated', 'sametx', 'ours', 'quarantine'] as const
type Method = (typeof allMethods)[number]
const methodNames = allMethods.filter((m) => m !== 'quarantine' || values.quarantine)
const labels: Record<Method, string> = {
  precreated: 'psql \\copy, table made before',
  sametx: 'psql -1 create + \\copy',
  ours: 'elt CSV source (loadSources)',
  quarantine: 'elt Node-parsing path (bad rows)',
}

async function main(): Promise<void> {
  const bytes = parseSize(values.size ?? '1GB')
  const dir = await mkdtemp(path.join(os.tmpdir(), 'elt-bench-csv-'))
  await chmod(dir, 0o755) // as root, the server runs as the `postgres` user
  let server: EmbeddedServer | undefined
  try {
    console.error(`starting an embedded PostgreSQL in ${dir} …`)
    server = await startEmbeddedServer({ dir: path.join(dir, 'server'), ephemeral: true })
    const file = path.join(dir, 'bench.csv')
    console.error(`generating ${(bytes / 1024 ** 2).toFixed(0)} MB of CSV …`)
    const rows = await generate(file, bytes)
    const size = (await stat(file)).size
    const ddl = csvTableDdl('t', columns.map(([name, type]) => ({ name, type })))
    const copy = `\\copy t from '${file.replace(/'/g, "''")}' csv header`

    const timings: Record<Method, number>[] = []
    const peakKb: Partial<Record<Method, number>> = {}
    let inside = Infinity
    for (let run = 1; run <= Number(values.runs); run++) {
      const order = methodNames.map((_, i) => methodNames[(i + run - 1) % methodNames.length]!)
      const timed = {} as Record<Method, number>
      for (const [i, name] of order.entries()) {
        const db = await createTestDatabase(server.urlFor('postgres'), name)
        try {
          if (name === 'precreated') await db.query(ddl)
          await checkpoint(server)
          console.error(`run ${run}: ${i + 1}/${methodNames.length} ${labels[name]} …`)
          if (name === 'ours' || name === 'quarantine') {
            const result = await sh(`/usr/bin/time -v node --import tsx packages/extract-load/bench/csv.bench.ts --load ${q(file)} --url ${q(db.url)} --mode ${name === 'ours' ? 'copy' : 'quarantine'}`)
            const summary = JSON.parse(result.stdout) as { rows: number; seconds: number; types: string[] }
            if (summary.rows !== rows) throw new Error(`our path loaded ${summary.rows} rows, expected ${rows}`)
            const expected = columns.map(([, type]) => (type === 'timestamptz' && name === 'ours' ? 'timestamp with time zone' : type)) // format_type's name
            if (summary.types.join() !== expected.join()) throw new Error(`our path inferred ${summary.types.join()}, expected ${expected.join()}`)
            peakKb[name] = Math.max(peakKb[name] ?? 0, Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr)?.[1]))
            if (name === 'ours') inside = Math.min(inside, summary.seconds)
            timed[name] = result.seconds
          } else {
            const command =
              name === 'precreated'
                ? `${psql} -q -v ON_ERROR_STOP=1 ${q(db.url)} -c ${q(copy)}`
                : `${psql} -q -1 -v ON_ERROR_STOP=1 ${q(db.url)} -c ${q(ddl)} -c ${q(copy)}`
            timed[name] = (await sh(command)).seconds
          }
          const n = (await db.query<{ n: number }>('select count(*)::int as n from t'))[0]?.n
          if (n !== rows) throw new Error(`${labels[name]} loaded ${n} rows, expected ${rows}`)
        } finally {
          await db.drop()
        }
      }
      timings.push(timed)
    }
    const best = (m: Method) => Math.min(...timings.map((t) => t[m]))
    const all = (m: Method) => `runs: ${timings.map((t) => t[m].toFixed(2)).join(', ')}`
    const line = (name: string, seconds: number, extra = '') => `${name.padEnd(34)} ${seconds.toFixed(2).padStart(8)} s  ${extra}`
    console.log(`\nCSV benchmark: ${(size / 1024 ** 2).toFixed(0)} MB, ${rows.toLocaleString('en-US')} rows, ${columns.length} columns, ${os.availableParallelism()} cores\n`)
    const rss = (m: Method) => (peakKb[m] === undefined ? '' : `; peak RSS ${((peakKb[m] ?? 0) / 1024).toFixed(0)} MB`)
    const speed = (m: Method) => `${(size / 1024 ** 2 / best(m)).toFixed(0)} MB/s; `
    for (const m of methodNames) console.log(line(labels[m], best(m), speed(m) + all(m) + rss(m)))
    console.log(line('  of which inside the process', inside, '(loadSources: describe + shadow + COPY + ANALYZE + swap + records; the rest is node/tsx start)'))
    console.log('')
    console.log(`elt / psql \\copy (table made before) = ${(best('ours') / best('precreated')).toFixed(2)}  (target ≤ 1.20)`)
    console.log(`elt / psql -1 create + \\copy        = ${(best('ours') / best('sametx')).toFixed(2)}`)
    console.log(`peak RSS                            = ${((peakKb.ours ?? 0) / 1024).toFixed(0)} MB  (flat in file size)`)
  } finally {
    await server?.stop().catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
}

if (values.load !== undefined) await loadOurs(values.load, values.url ?? '', values.mode === 'quarantine')
else await main()
