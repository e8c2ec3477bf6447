import { open, rename, writeFile } from 'node:fs/promises'
import path from 'node:path'

/** Flushes a file or folder to disk (a folder: the names in it), so a rename that follows survives a power cut. */
export async function syncPath(file: string): Promise<void> {
  const handle = await open(file, 'r')
  try {
    await handle.sync()
  } catch (error) {
    // some file systems refuse fsync on a folder; the data files themselves were synced
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL' && (error as NodeJS.ErrnoException).code !== 'EISDIR') throw error
  } finally {
    await handle.close()
  }
}

/**
 * Writes a JSON document in place of `file` atomically: a temp file next to it, synced, then
 * renamed over it and the folder synced. A reader sees the old document or the new one, never half.
 *
 * ```ts
 * await writeJsonDurably('data/stage/postgres/_days/2024-01-15.json', record)
 * ```
 */
export async function writeJsonDurably(file: string, value: unknown): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`
  await writeFile(temp, JSON.stringify(value, null, 2) + '\n')
  await syncPath(temp)
  await rename(temp, file)
  await syncPath(path.dirname(file))
}
