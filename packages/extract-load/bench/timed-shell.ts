import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The checkout's root: a benchmark's shell commands run there unless told otherwise. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

/** A shell pipeline's wall time, the cores it kept busy, and its output. */
export interface Timed {
  seconds: number
  /** Cores kept busy on average (whole machine: servers, clients and anything else running). */
  cores: number
  stdout: string
  stderr: string
}

/** Jiffies the machine has spent busy and in all so far (Linux `/proc/stat`, all cores; idle and iowait are not busy). */
function cpuTimes(): { busy: number; total: number } {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number)
    const total = fields.reduce((a, x) => a + x, 0)
    return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total }
  } catch {
    return { busy: NaN, total: NaN }
  }
}

/**
 * Runs a shell pipeline (`bash -o pipefail -c`); resolves with its wall time in seconds, the cores
 * it kept busy and its output, or rejects naming the command (URLs masked) with its stderr's end.
 *
 * ```ts
 * const { seconds, cores } = await timedShell(`pg_dump ${q(source)} | psql -q ${q(destination)}`)
 * ```
 */
export function timedShell(command: string, env: NodeJS.ProcessEnv = {}, cwd = repoRoot): Promise<Timed> {
  const started = performance.now()
  const cpu = cpuTimes()
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], { env: { ...process.env, ...env }, cwd })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000
      const now = cpuTimes()
      const cores = ((now.busy - cpu.busy) / (now.total - cpu.total)) * os.availableParallelism()
      if (code === 0) resolve({ seconds, cores, stdout, stderr })
      else reject(new Error(`command failed (${code}): ${command.replace(/postgres:\/\/[^ '"]*/g, '<url>')}\n${stderr.slice(-4000)}`))
    })
  })
}
