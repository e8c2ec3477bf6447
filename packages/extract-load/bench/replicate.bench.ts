/**
 * `pnpm bench:replicate [--rows N] [--jobs N] [--runs N] [--elt-only] [--steps]`: times, in one run and on the same data,
 *   1. `pg_dump | psql` (the container scripts this project replaces),
 *   2. a raw `psql COPY … TO STDOUT (FORMAT binary) | psql COPY … FROM STDIN (FORMAT binary)` pipe per table + the primary key builds,
 *   3. `elt replicate` as a child process, started as `pnpm elt` starts it (the compiled CLI, `node scripts/elt.mjs`,
 *      without pnpm's own start), whose peak RSS is measured with `/usr/bin/time -v`.
 * `pg_dump` and `psql` (15, as the servers) come from PATH, e.g. `PATH=/usr/lib/postgresql/15/bin:$PATH pnpm bench:replicate`.
 * Two embedded PostgreSQL servers (source, destination) are started in a temporary folder and deleted at the end.
 * Each is timed `--runs` times (default 2) on fresh destination databases, after a `CHECKPOINT` on both servers, in an order
 * that rotates from run to run; the best time counts.
 * Not a test: it prints a table of seconds, ratios and peak memory. `--elt-only` skips the two baselines (quick memory checks);
 * `--steps` prints each replication step's time and the process's CPU time.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { startEmbeddedServer, type EmbeddedServer } from '@elt/core'
import { createTestDatabase } from '@elt/core/testing'
// @ts-expect-error: a JavaScript module without type declarations
import { freshCliBuild } from '../../../scripts/build-cli.mjs'
import pg from 'pg'
import { repoRoot, timedShell as sh, type Timed } from './timed-shell.ts'

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    jobs: { type: 'string' },
    runs: { type: 'string', default: '2' },
    'elt-only': { type: 'boolean', default: false },
    steps: { type: 'boolean', default: false },
  },
})
const rows = Number(values.rows)

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/**
 * `CHECKPOINT` on both servers before each timed method, so none pays for the dirty pages and
 * WAL the previous one left behind (without it, whichever runs last is slowed by checkpoints).
 */
async function settle(servers: EmbeddedServer[]): Promise<void> {
  for (const server of servers) {
    const client = new pg.Client({ connectionString: server.urlFor('postgres') })
    await client.connect()
    await client.query('CHECKPOINT').finally(() => client.end())
  }
}

const methodNames = ['dump', 'pipe', 'elt'] as const
type Method = (typeof methodNames)[number]
const labels: Record<Method, string> = { dump: 'pg_dump | psql', pipe: 'raw binary COPY pipe + keys', elt: 'elt replicate' }

/** A timed method: `prepare` (untimed, e.g. the pipe's table DDL), then `time`. */
interface BenchMethod {
  prepare?: () => Promise<unknown>
  time: () => Promise<Timed>
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'elt-bench-'))
  await chmod(dir, 0o755) // as root, the servers run as the `postgres` user
  const servers: EmbeddedServer[] = []
  try {
    console.error(`starting two embedded PostgreSQL servers in ${dir} …`)
    const [src, dst] = await Promise.all([
      startEmbeddedServer({ dir: path.join(dir, 'source'), ephemeral: true }),
      startEmbeddedServer({ dir: path.join(dir, 'destination'), ephemeral: true }),
    ])
    servers.push(src, dst)
    const bench = await createTestDatabase(src.urlFor('postgres'), 'bench')
    const source = bench.url

    console.error(`generating ${rows.toLocaleString('en-US')} rows …`)
    await bench.query(
      `create table events (id bigint primary key, user_id int not null, name text, amount numeric(12, 2),
         created_at timestamptz not null, payload jsonb, tags text[]);
       insert into events
       select g, (g::int8 * 7919 % 100000)::int, 'event ' || md5(g::text), (g % 100000) / 100.0,
              timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
              jsonb_build_object('kind', g % 7, 'ok', g % 2 = 0, 'note', 'n' || g),
              array['tag' || (g % 10), 'tag' || (g % 3)]
         from generate_series(1, ${rows}) g;
       create table users (id int primary key, email text unique, created date);
       insert into users select g, 'user' || g || '@example.com', date '2020-01-01' + g % 1000 from generate_series(1, 10000) g;
       create table countries (code char(2) primary key, name text not null);
       insert into countries select chr(65 + g / 26) || chr(65 + g % 26), 'country ' || g from generate_series(0, 249) g;
       create table settings (key text primary key, value jsonb);
       insert into settings select 'k' || g, to_jsonb(g) from generate_series(1, 100) g;`,
    )
    await bench.query('vacuum analyze')
    const tables = ['events', 'users', 'countries', 'settings']
    // elt runs in a project of its own: a TypeScript config with the defaults (so loading it is timed), not this
    // repository's, whose other sources would be loaded too
    const project = path.join(dir, 'project')
    await mkdir(project)
    await writeFile(path.join(project, 'elt.config.ts'), 'const config: Record<string, unknown> = {}\nexport default config\n')

    const skip = values['elt-only'] ? Promise.resolve<Timed>({ seconds: NaN, cores: NaN, stdout: '', stderr: '' }) : undefined
    const jobs = values.jobs ? ` --jobs ${Number(values.jobs)}` : ''
    const timings: { dump: Timed; pipe: Timed; elt: Timed; peakKb: number; inside: number; table: number }[] = []
    for (let run = 1; run <= Number(values.runs); run++) {
      const [dumpDst, pipeDst, eltDst] = await Promise.all(methodNames.map((name) => createTestDatabase(dst.urlFor('postgres'), name)))
      // Each method gets a fresh database and settled servers; the order rotates from run to run,
      // so no method always runs after the others (warm caches, leftover background writes).
      const methods: Record<Method, BenchMethod> = {
        dump: {
          time: () => skip ?? sh(`pg_dump --no-owner ${q(source)} | psql -q -v ON_ERROR_STOP=1 ${q(dumpDst!.url)} > /dev/null`),
        },
        pipe: {
          prepare: () =>
            skip ?? sh(`pg_dump --no-owner --section=pre-data ${q(source)} | psql -q -v ON_ERROR_STOP=1 ${q(pipeDst!.url)} > /dev/null`),
          time: () => {
            const pipeCommands = tables.map(
              (t) =>
                `psql -q ${q(source)} -c ${q(`COPY ${t} TO STDOUT (FORMAT binary)`)} | psql -q ${q(pipeDst!.url)} -c ${q(`COPY ${t} FROM STDIN (FORMAT binary)`)}`,
            )
            const keys = `pg_dump --no-owner --section=post-data ${q(source)} | psql -q -v ON_ERROR_STOP=1 ${q(pipeDst!.url)} > /dev/null`
            return skip ?? sh([...pipeCommands, keys].join(' && '))
          },
        },
        elt: {
          prepare: () => freshCliBuild(), // a source edited since the last build is compiled now, untimed
          time: () =>
            sh(`/usr/bin/time -v node ${q(path.join(repoRoot, 'scripts/elt.mjs'))} replicate --json${jobs}`, {
              ...(values.steps ? { ELT_LOG_LEVEL: 'debug' } : {}),
              SOURCE_DATABASE_URL: source,
              DESTINATION_DATABASE_URL: eltDst!.url,
            }, project),
        },
      }
      const order = methodNames.map((_, i) => methodNames[(i + run - 1) % methodNames.length]!)
      const timed = {} as Record<Method, Timed>
      for (const [i, name] of order.entries()) {
        console.error(`run ${run}: ${i + 1}/3 ${labels[name]} …`)
        await methods[name].prepare?.()
        await settle(servers)
        timed[name] = await methods[name].time()
      }
      const { dump, pipe, elt } = timed
      const summary = JSON.parse(elt.stdout) as { seconds: number; tables: { source: string; rows: number; seconds: number }[] }
      const copied = summary.tables.find((t) => t.source === 'public.events')?.rows
      if (copied !== rows) throw new Error(`elt replicate copied ${copied} rows of public.events, expected ${rows}`)
      if (values.steps) console.error(elt.stderr.split('\n').filter((l) => /step .* took|Elapsed|User time|System time/.test(l)).join('\n'))
      const peakKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(elt.stderr)?.[1])
      timings.push({ dump, pipe, elt, peakKb, inside: summary.seconds, table: summary.tables.find((t) => t.source === 'public.events')?.seconds ?? NaN })
      await Promise.all([dumpDst, pipeDst, eltDst].map((db) => db!.drop()))
    }
    // best of the runs for times (the machine may be shared), worst for memory
    type Run = (typeof timings)[number]
    const best = (key: Method) => timings.map((t) => t[key]).reduce((a, b) => (b.seconds < a.seconds ? b : a))
    const [dump, pipe, elt] = [best('dump'), best('pipe'), best('elt')]
    const peakKb = Math.max(...timings.map((t) => t.peakKb))
    const all = (pick: (t: Run) => number) => `runs: ${timings.map((t) => pick(t).toFixed(2)).join(', ')}`
    const busy = (t: Timed) => `; ${t.cores.toFixed(1)} of ${os.availableParallelism()} cores busy`

    const line = (name: string, seconds: number, extra = '') => `${name.padEnd(34)} ${seconds.toFixed(2).padStart(8)} s  ${extra}`
    console.log(`\nreplicate benchmark: ${rows.toLocaleString('en-US')} rows in public.events (+3 small tables), ${os.availableParallelism()} cores\n`)
    console.log(line(labels.dump, dump.seconds, all((t) => t.dump.seconds) + busy(dump)))
    console.log(line(labels.pipe, pipe.seconds, all((t) => t.pipe.seconds) + busy(pipe)))
    console.log(line(labels.elt, elt.seconds, `${all((t) => t.elt.seconds)}${busy(elt)}; peak RSS ${(peakKb / 1024).toFixed(0)} MB`))
    console.log(line('  of which replicate() itself', Math.min(...timings.map((t) => t.inside)), all((t) => t.inside)))
    console.log(line('  of which public.events load', Math.min(...timings.map((t) => t.table)), `${all((t) => t.table)} (COPY + keys + swap)`))
    console.log('')
    console.log(`elt / pg_dump|psql = ${(elt.seconds / dump.seconds).toFixed(2)}  (target ≤ 1.00)`)
    console.log(`elt / raw pipe     = ${(elt.seconds / pipe.seconds).toFixed(2)}  (target ≤ 1.10)`)
    console.log(`peak RSS           = ${(peakKb / 1024).toFixed(0)} MB  (target < 250 MB)`)
  } finally {
    for (const s of servers) await s.stop().catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
