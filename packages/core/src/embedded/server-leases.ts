import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { EltError } from '../elt-error.ts'
import { sleep } from '../retry.ts'
import { isProcessAlive } from './process-alive.ts'

/**
 * Runs `work` holding `<dir>/server.lock`, a file naming the holder's pid: starting, adopting
 * and stopping the embedded server never interleave between processes. A lock left by a dead
 * process is taken over; a live holder is waited for up to `timeoutSeconds`.
 */
export async function withServerLock<T>(dir: string, work: () => Promise<T>, timeoutSeconds = 120): Promise<T> {
  const lock = path.join(dir, 'server.lock')
  const deadline = Date.now() + timeoutSeconds * 1000
  for (;;) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' })
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const holder = Number(await readFile(lock, 'utf8').catch(() => ''))
      if (!isProcessAlive(holder)) {
        await rm(lock, { force: true })
        continue
      }
      if (Date.now() > deadline) {
        throw new EltError(`The embedded PostgreSQL in ${dir} is being started or stopped by process ${holder} (still running after ${timeoutSeconds} s).`, {
          hint: `Wait for it to finish, or stop it (kill ${holder}).`,
        })
      }
      await sleep(100)
    }
  }
  try {
    return await work()
  } finally {
    await rm(lock, { force: true })
  }
}

/**
 * Who uses the embedded server: one file per user (`<dir>/users/<pid>-<random>`), taken when a
 * process starts or adopts the server. The last user to leave stops it; files of processes that
 * died (kill -9) do not count.
 */
export const serverLeases = {
  /** Registers a user of the server; returns its lease, to give back to `drop` and `others`. */
  async take(dir: string): Promise<string> {
    const lease = `${process.pid}-${randomBytes(4).toString('hex')}`
    await mkdir(path.join(dir, 'users'), { recursive: true })
    await writeFile(path.join(dir, 'users', lease), '')
    return lease
  },
  async drop(dir: string, lease: string): Promise<void> {
    await rm(path.join(dir, 'users', lease), { force: true })
  },
  /** Pids of the other live users of the server (files of dead processes are removed). */
  async others(dir: string, lease: string): Promise<number[]> {
    const names = await readdir(path.join(dir, 'users')).catch(() => [] as string[])
    const live: number[] = []
    for (const name of names) {
      if (name === lease) continue
      const pid = Number(name.split('-')[0])
      if (isProcessAlive(pid)) live.push(pid)
      else await rm(path.join(dir, 'users', name), { force: true })
    }
    return live
  },
}
