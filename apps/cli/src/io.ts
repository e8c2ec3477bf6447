/** Where a command writes: stdout for results (or JSON), stderr for logs and progress. */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean }
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number }
  env: NodeJS.ProcessEnv
  cwd: string
  /** The folder the command was typed in, when not `cwd` (see `invocationDir`): a relative `--config` is read from it, and its config file comes before `cwd`'s. */
  invokedFrom?: string
}

export const processIo = (): CliIo => ({
  stdout: outliveReader(process.stdout),
  stderr: outliveReader(process.stderr),
  env: process.env,
  cwd: process.cwd(),
  invokedFrom: invocationDir(process.env, process.cwd()),
})

/**
 * `stream`, whose reader going away (`pnpm elt run | head`, a service that stopped reading) does
 * not end the command halfway: the rest of its output is dropped, and the run finishes, is
 * recorded and stops its embedded server as usual. Before, the write's `EPIPE` was an uncaught
 * error that killed the process, leaving the run `running` and the server up.
 */
function outliveReader<S extends NodeJS.WriteStream>(stream: S): S {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error
  })
  return stream
}

/**
 * The folder `pnpm elt …` or `pnpm models …` was typed in: pnpm runs a script in the workspace
 * root and names the folder it was started from in `INIT_CWD`. Otherwise `cwd`.
 *
 * ```ts
 * invocationDir({ npm_lifecycle_event: 'elt', INIT_CWD: '/repo/jobs/nightly' }, '/repo') // '/repo/jobs/nightly'
 * invocationDir({}, '/repo')                                                            // '/repo'
 * ```
 */
export const invocationDir = (env: NodeJS.ProcessEnv, cwd: string): string =>
  (env.npm_lifecycle_event === 'elt' || env.npm_lifecycle_event === 'models') && env.INIT_CWD ? env.INIT_CWD : cwd
