import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

const coreIndex = path.resolve(import.meta.dirname, '..', 'index.ts')
const repoRoot = path.resolve(import.meta.dirname, '..', '..', '..', '..')

/**
 * Leaves the embedded server of `dir` running as a killed command would: a child process starts
 * it and is killed with SIGKILL, so nothing stops the server.
 *
 * ```ts
 * await orphanEmbeddedServer(path.join(projectDir, '.elt', 'postgres'))
 * ```
 */
export async function orphanEmbeddedServer(dir: string): Promise<void> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'elt-orphan-'))
  const file = path.join(scratch, 'orphan.mts')
  await writeFile(file, `import { startEmbeddedServer } from ${JSON.stringify(coreIndex)}
await startEmbeddedServer({ dir: ${JSON.stringify(dir)} })
process.stdout.write('ready\\n')
setInterval(() => {}, 1000)
`)
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the child did not start the server within 90 s: ${output}`)), 90_000)
      child.stdout.on('data', (d: Buffer) => {
        output += d.toString()
        if (output.includes('ready')) (clearTimeout(timer), resolve())
      })
      child.stderr.on('data', (d: Buffer) => (output += d.toString()))
      void exited.then(() => (clearTimeout(timer), reject(new Error(`the child exited before the server was ready: ${output}`))))
    }).finally(() => child.kill('SIGKILL'))
    await exited
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}
