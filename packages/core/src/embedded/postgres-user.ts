import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { EltError } from '../elt-error.ts'
import type { Logger } from '../logger.ts'
import { isRoot } from './postgres-binaries.ts'

const run = promisify(execFile)

/** The user a server process runs as: `postgres` when this process is root (PostgreSQL refuses root), else this process's own user. */
export interface ServerUser {
  uid: number
  gid: number
}

async function idOf(name: string): Promise<ServerUser | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])])
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
  } catch {
    return undefined
  }
}

/**
 * `undefined` when not root (the server runs as this process's user); as root, the uid and gid
 * of the `postgres` system user, created if missing.
 *
 * ```ts
 * await serverUser() // { uid: 101, gid: 104 } as root
 * ```
 */
export async function serverUser(logger?: Logger): Promise<ServerUser | undefined> {
  if (!isRoot()) return undefined
  const existing = await idOf('postgres')
  if (existing) return existing
  logger?.info('creating the postgres system user to run the embedded PostgreSQL (PostgreSQL does not run as root)')
  try {
    await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'])
  } catch (error) {
    throw new EltError(`Could not create the postgres system user to run the embedded PostgreSQL as (PostgreSQL does not run as root): ${error instanceof Error ? error.message.trim() : String(error)}.`, {
      hint: 'Create a `postgres` user yourself, run as a normal user, or set SOURCE_DATABASE_URL and DESTINATION_DATABASE_URL.',
      cause: error,
    })
  }
  const created = await idOf('postgres')
  if (!created) throw new EltError('The postgres system user was created but `id postgres` does not find it.')
  return created
}
