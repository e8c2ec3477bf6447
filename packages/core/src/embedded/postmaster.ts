import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chown, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { EltError } from '../elt-error.ts'
import { sleep } from '../retry.ts'
import { isProcessAlive } from './process-alive.ts'
import type { PostgresBinaries } from './postgres-binaries.ts'
import type { ServerUser } from './postgres-user.ts'

/** English server messages whatever the machine's locale. */
const serverEnv = () => ({ ...process.env, LC_MESSAGES: 'C', LC_ALL: 'C' })

/** The last lines of a server log, for error messages. */
async function tail(file: string, lines = 12): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

/**
 * The postmaster of `dataDir` if one is alive, read from the `postmaster.pid` PostgreSQL keeps
 * (line 1 the pid, line 4 the port, line 8 the status: `starting`, `ready`, `stopping`).
 */
export async function runningPostmaster(dataDir: string): Promise<{ pid: number; port: number; ready: boolean } | undefined> {
  const lines = (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')
  const pid = Number(lines[0])
  const port = Number(lines[3])
  if (!Number.isInteger(port) || !isProcessAlive(pid)) return undefined
  return { pid, port, ready: lines[7]?.trim() === 'ready' }
}

export interface InitOptions {
  binaries: PostgresBinaries
  dataDir: string
  user: string
  password: string
  runAs: ServerUser | undefined
}

/**
 * Creates a cluster in `dataDir` (`initdb` as the server's user, UTF8, C locale, SCRAM
 * passwords). The password goes through a mode-600 file next to `dataDir`, removed at once.
 */
export async function initCluster(options: InitOptions): Promise<void> {
  const { dataDir, runAs } = options
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const pwfile = path.join(path.dirname(dataDir), `.pwfile-${process.pid}`)
  await writeFile(pwfile, options.password + '\n', { mode: 0o600 })
  try {
    if (runAs) {
      await chown(dataDir, runAs.uid, runAs.gid)
      await chown(pwfile, runAs.uid, runAs.gid)
    }
    const args = [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${options.user}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C', '--no-instructions']
    const output: string[] = []
    const code = await new Promise<number | string>((resolve) => {
      const child = spawn(options.binaries.initdb, args, { ...runAs, env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
      child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()))
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
      child.on('error', (error) => (clearTimeout(timer), resolve(error.message)))
      child.on('close', (exitCode, signal) => (clearTimeout(timer), resolve(exitCode ?? `killed by ${signal}`)))
    })
    if (code !== 0) {
      const lines = output.join('').trimEnd().split('\n').slice(-12).join('\n')
      throw new EltError(`initdb failed for ${dataDir} (${typeof code === 'number' ? `exit code ${code}` : code}):\n${lines}`, {
        hint: 'Fix the cause above, or delete the folder to start from scratch.',
      })
    }
  } finally {
    await rm(pwfile, { force: true })
  }
}

export interface StartOptions {
  binaries: PostgresBinaries
  dataDir: string
  port: number
  runAs: ServerUser | undefined
  /** Where the server writes its log (this file is truncated). */
  logFile: string
  /** Extra `-c name=value` settings. */
  settings: readonly string[]
  /** How long to wait for "ready". Default 60 s. */
  timeoutSeconds?: number
}

/**
 * Starts `postgres` in its own session (a Ctrl-C meant for the command does not reach it), its
 * log in `logFile`, and waits until `postmaster.pid` says `ready`. A server that exits or does
 * not get ready in time is an error quoting the end of its log.
 *
 * ```ts
 * const pid = await startPostmaster({ binaries, dataDir, port: 54329, runAs, logFile, settings: ['listen_addresses=127.0.0.1'] })
 * ```
 */
export async function startPostmaster(options: StartOptions): Promise<number> {
  const log = await open(options.logFile, 'w', 0o600)
  let exited: string | undefined
  const args = ['-D', options.dataDir, '-p', String(options.port), ...options.settings.flatMap((setting) => ['-c', setting])]
  const child = spawn(options.binaries.postgres, args, { ...options.runAs, env: serverEnv(), detached: true, stdio: ['ignore', log.fd, log.fd] })
  child.on('error', (error) => (exited = error.message))
  child.on('exit', (code, signal) => (exited = signal ? `killed by ${signal}` : `exit code ${code}`))
  await log.close()
  const deadline = Date.now() + (options.timeoutSeconds ?? 60) * 1000
  try {
    for (;;) {
      if (exited !== undefined) throw new Error(`the server exited during start-up (${exited})`)
      const running = await runningPostmaster(options.dataDir)
      if (running && running.pid === child.pid && running.ready) break
      if (Date.now() > deadline) {
        child.kill('SIGKILL')
        throw new Error(`the server was not ready after ${options.timeoutSeconds ?? 60} s`)
      }
      await sleep(50)
    }
  } catch (error) {
    const logText = await tail(options.logFile)
    throw new EltError(`Could not start the embedded PostgreSQL in ${options.dataDir}: ${(error as Error).message}.${logText ? `\nServer log (${options.logFile}):\n${logText}` : ''}`, {
      hint: 'Fix the cause in the server log, or delete the folder to start from scratch (this deletes the embedded databases).',
      cause: error,
    })
  }
  child.unref()
  return child.pid!
}

/**
 * Stops the postmaster of `dataDir` (started by this process or not): a fast shutdown
 * (SIGINT: sessions are ended, nothing is lost), an immediate one (SIGQUIT) after
 * `timeoutSeconds`, and waits until the process is gone.
 */
export async function stopPostmaster(dataDir: string, timeoutSeconds = 60): Promise<void> {
  const running = await runningPostmaster(dataDir)
  if (!running) return
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(running.pid, name)
    } catch {
      // already gone
    }
  }
  signal('SIGINT')
  const deadline = Date.now() + timeoutSeconds * 1000
  let escalated = false
  while (isProcessAlive(running.pid) && existsSync(path.join(dataDir, 'postmaster.pid'))) {
    if (!escalated && Date.now() > deadline) {
      signal('SIGQUIT')
      escalated = true
    } else if (Date.now() > deadline + 10_000) {
      throw new EltError(`The embedded PostgreSQL (pid ${running.pid}, ${dataDir}) did not stop within ${timeoutSeconds + 10} s.`, { hint: `Stop it with kill ${running.pid}.` })
    }
    await sleep(50)
  }
}
