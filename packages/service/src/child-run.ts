import { spawn } from 'node:child_process'

export interface ChildRunOptions {
  /** The CLI to start, e.g. `[process.execPath, '<repo>/scripts/elt.mjs']`. */
  cli: readonly string[]
  /** `['run', '--json', '--select', 'x']` */
  args: readonly string[]
  cwd: string
  env: NodeJS.ProcessEnv
  /** Each line the child writes on stderr (its progress and logs). */
  onLine?: (line: string) => void
}

export interface ChildRunExit {
  exitCode: number | null
  signal: NodeJS.Signals | null
  stdout: string
  /** The last stderr lines, for a run that printed no summary. */
  stderrTail: string[]
}

export interface ChildRun {
  pid: number | undefined
  done: Promise<ChildRunExit>
  /** SIGINT (the CLI cancels its statements and records `cancelled`), then SIGKILL after `killAfterMs`. */
  cancel(killAfterMs: number): void
}

/**
 * Starts one CLI run as a child process, so edited model files are read afresh and a crashing
 * run cannot take the service down.
 *
 * ```ts
 * const child = startChildRun({ cli: [process.execPath, 'scripts/elt.mjs'], args: ['run', '--json'], cwd, env })
 * const { exitCode, stdout } = await child.done // stdout: the run's --json summary
 * ```
 */
export function startChildRun(options: ChildRunOptions): ChildRun {
  const [file, ...prefix] = options.cli
  // its own process group: a Ctrl-C on the service's terminal reaches the service, which decides (grace period, then SIGINT)
  const child = spawn(file!, [...prefix, ...options.args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let stdout = ''
  const tail: string[] = []
  let partial = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split(/\r?\n|\r/)
    partial = lines.pop() ?? ''
    for (const line of lines) emit(line)
  })
  const emit = (line: string) => {
    if (!line.trim()) return
    tail.push(line)
    if (tail.length > 20) tail.shift()
    options.onLine?.(line)
  }
  let killTimer: NodeJS.Timeout | undefined
  const done = new Promise<ChildRunExit>((resolve) => {
    child.on('error', (error) => {
      tail.push(`could not start ${options.cli.join(' ')}: ${error.message}`)
    })
    child.on('close', (exitCode, signal) => {
      clearTimeout(killTimer)
      if (partial) emit(partial)
      resolve({ exitCode, signal, stdout, stderrTail: tail })
    })
  })
  return {
    pid: child.pid,
    done,
    cancel(killAfterMs) {
      if (child.exitCode !== null || child.signalCode !== null || killTimer) return
      child.kill('SIGINT')
      killTimer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
    },
  }
}
