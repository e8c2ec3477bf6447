import type {} from '@elt/core/testing/global-setup' // declares inject('pgAdminUrl')
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { loadConfig } from '@elt/config'
import { connectClient, migrateCore, sleep } from '@elt/core'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { createServiceLogger, migrateService, startService, type Service } from '../src/index.ts'

export const repo = fileURLToPath(new URL('../../../', import.meta.url))

/** The CLI from its TypeScript sources (node with tsx as a loader: one process per run). */
export const testCli = [process.execPath, '--import', pathToFileURL(path.join(repo, 'node_modules/tsx/dist/loader.mjs')).href, path.join(repo, 'apps/cli/src/main.ts')]

/** A running `testCli` process: its output so far and its exit code once it exits. */
export interface TestCliProcess {
  child: ChildProcess
  /** The exit code (`null` when a signal ended it). */
  exited: Promise<number | null>
  readonly stdout: string
  readonly stderr: string
}

/**
 * Starts `elt <args>` as its own process (`testCli`) in `cwd`, with `env` over PATH and HOME only.
 *
 * ```ts
 * const cli = spawnTestCli(['backfill', '--schedule', 'daily', '--from', '2026-11-29'], cwd, { DESTINATION_DATABASE_URL: db.url })
 * expect(await cli.exited, cli.stderr).toBe(0)
 * ```
 */
export function spawnTestCli(args: readonly string[], cwd: string, env: Record<string, string>): TestCliProcess {
  const child = spawn(testCli[0]!, [...testCli.slice(1), ...args], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const output = { stdout: '', stderr: '' }
  child.stdout!.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return {
    child,
    exited,
    get stdout() {
      return output.stdout
    },
    get stderr() {
      return output.stderr
    },
  }
}

/**
 * `public.flags` steers the fixture models: `slow` sleeps `sleep_seconds`, `flaky` divides by
 * `divisor` (0 makes it fail with "division by zero"), `quick` selects one row.
 */
export async function createFlags(db: TestDatabase): Promise<void> {
  await db.query(`create table if not exists public.flags (sleep_seconds float8 not null, divisor int not null)`)
  await db.query(`delete from public.flags`)
  await db.query(`insert into public.flags values (0, 1)`)
}

export async function setFlags(db: TestDatabase, flags: { sleep?: number; divisor?: number }): Promise<void> {
  if (flags.sleep !== undefined) await db.query(`update public.flags set sleep_seconds = $1`, [flags.sleep])
  if (flags.divisor !== undefined) await db.query(`update public.flags set divisor = $1`, [flags.divisor])
}

/** A fresh database (source and destination of the tests) with `public.flags`, `_elt.runs` and `_elt.schedule_ticks`. */
export async function serviceDatabase(adminUrl: string, prefix: string): Promise<TestDatabase> {
  const db = await createTestDatabase(adminUrl, prefix)
  await createFlags(db)
  const client = await connectClient({ label: 'destination', url: db.url })
  try {
    await migrateCore(client)
    await migrateService(client)
  } finally {
    await client.end()
  }
  return db
}

/** A project folder: `elt.config.ts` (`models` + the given config keys as TypeScript) and its three models. */
export async function serviceProject(configBody: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'elt-service-test-'))
  await writeFile(path.join(dir, 'elt.config.ts'), `export default { models: { project: './project.ts' }, ${configBody} }\n`)
  await writeFile(
    path.join(dir, 'project.ts'),
    `import { defineModel, defineSource } from ${JSON.stringify(path.join(repo, 'packages/runner/src/index.ts'))}
const flags = defineSource({ schema: 'public', name: 'flags' })
export const slow = defineModel({ name: 'slow', materialized: 'table', from: { flags },
  query: (db) => db.selectFrom('flags').select((eb) => eb.cast(eb.fn('pg_sleep', [eb.ref('sleep_seconds')]), 'text').as('s')) })
export const flaky = defineModel({ name: 'flaky', materialized: 'table', from: { flags },
  query: (db) => db.selectFrom('flags').select((eb) => eb(eb.val(1), '/', eb.ref('divisor')).as('x')) })
export const quick = defineModel({ name: 'quick', materialized: 'table', from: { flags },
  query: (db) => db.selectFrom('flags').select('divisor') })
`,
  )
  return dir
}

/** Starts the service in-process on a free port over `db` (source and destination), collecting its log lines. */
/** `destinationUrl`: the service's own connections go there (e.g. through a proxy); its runs use `db`. */
export async function startTestService(db: TestDatabase, cwd: string, options: { token?: string; destinationUrl?: string; stallSeconds?: number } = {}): Promise<{ service: Service; logs: string[] }> {
  const { config } = await loadConfig(cwd)
  const logs: string[] = []
  const logger = createServiceLogger({ format: 'json', secrets: () => [new URL(db.url).password], write: (line) => logs.push(line) })
  const service = await startService({
    config,
    cwd,
    cli: testCli,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, SOURCE_DATABASE_URL: db.url, DESTINATION_DATABASE_URL: db.url, ELT_CONNECT_TIMEOUT_SECONDS: '5' },
    destination: { label: 'destination', url: options.destinationUrl ?? db.url },
    manifestPath: path.join(cwd, 'target', 'manifest.json'),
    port: 0,
    token: options.token,
    logger,
    killAfterMs: 5000,
    defaultMetrics: false,
    ...(options.stallSeconds !== undefined ? { stallSeconds: options.stallSeconds } : {}),
  })
  return { service, logs }
}

/** Polls `check` every 100 ms until it returns a value other than undefined/false, or throws after `ms`. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(100)
  }
}

/** A local HTTP receiver collecting JSON bodies; `status` decides the answer. */
export async function alertReceiver(status = 200): Promise<{ url: string; bodies: Record<string, unknown>[]; close(): Promise<void> }> {
  const bodies: Record<string, unknown>[] = []
  const server: Server = createServer((request: IncomingMessage, response) => {
    let text = ''
    request.on('data', (chunk: Buffer) => (text += chunk.toString()))
    request.on('end', () => {
      bodies.push(JSON.parse(text) as Record<string, unknown>)
      response.writeHead(status).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
