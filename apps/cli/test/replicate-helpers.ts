import type {} from '@elt/core/testing/global-setup' // declares inject('pgAdminUrl')
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'
import { connectClient, sleep } from '@elt/core'
import type { StallingProxy, TestDatabase } from '@elt/core/testing'
import { runCli } from '../src/cli.ts'
import type { CliIo } from '../src/io.ts'

/** Runs `elt <argv>` in-process with captured stdout/stderr. */
export async function runElt(argv: string[], env: Record<string, string>, cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { ELT_MAX_RETRIES: '1', ELT_RETRY_DELAY_SECONDS: '0.1', ELT_CONNECT_TIMEOUT_SECONDS: '2', ...env },
    cwd: cwd ?? (await emptyProject()),
  }
  try {
    const code = await runCli(argv, io)
    return { code, stdout, stderr }
  } finally {
    if (cwd === undefined) await rm(io.cwd, { recursive: true, force: true })
  }
}

/** A temporary project folder with no elt.config.ts (all defaults), or with the given config source; the caller removes it. */
export async function emptyProject(config?: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'elt-cli-test-'))
  if (config !== undefined) await writeFile(path.join(dir, 'elt.config.ts'), config)
  return dir
}

export function withPassword(url: string, password: string): string {
  const u = new URL(url)
  u.password = password
  return u.toString()
}

const cliDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/**
 * Starts `elt <argv>` as a real process. `node --import tsx` runs main.ts in one process
 * (the `tsx` binary would fork a child), so a signal reaches the CLI itself.
 */
export function spawnElt(argv: string[], env: Record<string, string>): { child: ChildProcess; stderr: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(cliDir, 'src/main.ts'), ...argv], {
    cwd: cliDir,
    env: { ...process.env, ELT_CONNECT_TIMEOUT_SECONDS: '5', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout })),
  )
  return { child, stderr: () => stderr, exited }
}

/**
 * Starts `elt <argv>` as a real process, sends it SIGINT (Ctrl-C) as soon as `inFlight` says its
 * work is under way (polled every 20 ms, up to 60 s), and says how it ended: its exit code, the
 * seconds from the signal to the exit, its stdout and stderr. The process never outlives the call.
 */
export async function interruptElt(argv: string[], env: Record<string, string>, inFlight: () => Promise<boolean>): Promise<{ code: number | null; seconds: number; stdout: string; stderr: string }> {
  const run = spawnElt(argv, env)
  try {
    let started = false
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && !started && run.child.exitCode === null; await sleep(20)) started = await inFlight()
    expect(started, run.stderr()).toBe(true)
    const signalled = performance.now()
    run.child.kill('SIGINT')
    const { code, stdout } = await run.exited
    return { code, seconds: (performance.now() - signalled) / 1000, stdout, stderr: run.stderr() }
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGKILL')
  }
}

/**
 * Starts `elt <argv>` as a real process and, once its session `applicationName` waits on a lock on
 * `table` (held here for the purpose), cuts every connection made through `proxy` (their answers
 * never arrive; new connections work) and releases the lock: the session's answer is lost. Says
 * how the process ended within `seconds` of the cut (`undefined`: still running; it is killed).
 */
export async function cutWhileWaitingOnLock(
  argv: string[],
  env: Record<string, string>,
  at: { db: TestDatabase; proxy: StallingProxy; table: string; applicationName: string; seconds: number },
): Promise<{ ended: { code: number | null } | undefined; stderr: string }> {
  const blocker = await connectClient({ label: 'destination', url: at.db.url }, { applicationName: 'test-blocker' })
  const run = spawnElt(argv, env)
  try {
    await blocker.query('begin')
    await blocker.query(`lock table ${at.table} in access exclusive mode`)
    const waiting = async () => (await at.db.query(`select 1 from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'`, [at.applicationName])).length > 0
    for (const deadline = Date.now() + 30_000; !(await waiting()); await sleep(20)) {
      if (Date.now() > deadline || run.child.exitCode !== null) throw new Error(`elt ${argv.join(' ')} never waited on the lock on ${at.table}:\n${run.stderr()}`)
    }
    at.proxy.cut()
    await blocker.query('commit')
    const ended = await Promise.race([run.exited, sleep(at.seconds * 1000).then(() => undefined)])
    return { ended, stderr: run.stderr() }
  } finally {
    if (run.child.exitCode === null) run.child.kill('SIGKILL')
    await blocker.end().catch(() => {})
  }
}

/** `big` (`rows` rows of about 40 bytes: a few seconds to copy) and `small` (10 rows) in `db`. */
export async function createBigAndSmall(db: TestDatabase, rows: number): Promise<void> {
  await db.query(`
    create table big (id bigint primary key, label text);
    insert into big select g, 'row ' || g || repeat('.', 30) from generate_series(1, ${rows}) g;
    create table small (id int primary key);
    insert into small select generate_series(1, 10);`)
}

/** Rows the destination's COPY … FROM statements have taken so far (the largest in flight). */
export async function copiedSoFar(destination: TestDatabase): Promise<number> {
  const progress = await destination.query<{ n: string }>(`select coalesce(max(tuples_processed), 0) as n from pg_stat_progress_copy where datname = current_database() and command = 'COPY FROM'`)
  return Number(progress[0]?.n)
}

/** The sessions of elt processes (application_name elt…) still on `db`'s database. */
export const eltSessions = (db: TestDatabase) => db.query(`select application_name, state from pg_stat_activity where datname = current_database() and application_name like 'elt%'`)
