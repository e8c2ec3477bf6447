/** Where a command writes: stdout for results (or JSON), stderr for logs and progress. */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean }
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number }
  env: NodeJS.ProcessEnv
  cwd: string
}

export const processIo = (): CliIo => ({ stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() })
