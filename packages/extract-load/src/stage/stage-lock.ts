import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { EltError } from '@elt/core'
import { stagePaths } from './stage-paths.ts'

interface LockHolder {
  pid: number
  host: string
  runId: string
  startedAt: string
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' // exists, another user's
  }
}

/**
 * Takes the source's extract lock (`<stage.dir>/<source>/.extract.lock`, created exclusively),
 * so two extracts never write one source's stage at once; a lock left by a process of this host
 * that is gone (kill -9) is taken over. Returns the release function.
 *
 * ```ts
 * const release = await lockStageSource(stageDir, 'postgres', runId)
 * try { … } finally { await release() }
 * ```
 */
export async function lockStageSource(stageDir: string, source: string, runId: string): Promise<() => Promise<void>> {
  const file = stagePaths.lock(stageDir, source)
  await mkdir(path.dirname(file), { recursive: true })
  const me: LockHolder = { pid: process.pid, host: os.hostname(), runId, startedAt: new Date().toISOString() }
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(file, JSON.stringify(me) + '\n', { flag: 'wx' })
      return async () => {
        const holder = await readHolder(file)
        if (holder?.runId === runId) await rm(file, { force: true })
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw error
    }
    const holder = await readHolder(file)
    if (holder === undefined || (holder.host === me.host && !processAlive(holder.pid))) {
      await rm(file, { force: true }) // a dead run's lock (or one cut short while written)
      continue
    }
    throw new EltError(
      `Another extract (run ${holder.runId}, pid ${holder.pid} on ${holder.host}, started ${holder.startedAt}) is writing the stage of source "${source}" (${file}).`,
      { hint: `Wait for it to finish. If no extract is running there, delete ${file} and rerun.` },
    )
  }
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    const value = JSON.parse(await readFile(file, 'utf8')) as Partial<LockHolder>
    return typeof value.pid === 'number' && typeof value.host === 'string' ? (value as LockHolder) : undefined
  } catch {
    return undefined
  }
}
