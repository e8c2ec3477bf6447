import type {} from '@elt/core/testing/global-setup' // declares inject('pgAdminUrl')
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
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
