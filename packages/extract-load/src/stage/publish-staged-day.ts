import { readdir, readlink, rename, rm, symlink } from 'node:fs/promises'
import path from 'node:path'
import { syncPath, writeJsonDurably } from './durable-files.ts'
import type { StageDayRecord } from './stage-manifest.ts'
import { daysFolder, parseRunFolderName, stagePaths } from './stage-paths.ts'
import { mkdir } from 'node:fs/promises'

/** The table folders of a source's stage (not `_days`, not hidden files). */
export async function listTableFolders(stageDir: string, source: string): Promise<string[]> {
  const entries = await readdir(stagePaths.source(stageDir, source), { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return []
    throw error
  })
  return entries.filter((e) => e.isDirectory() && e.name !== daysFolder && !e.name.startsWith('.')).map((e) => e.name).sort()
}

/** Where `<table>/<date>` points (the run folder's name), or undefined when it is not a symlink. */
export async function dayLinkTarget(stageDir: string, source: string, folder: string, date: string): Promise<string | undefined> {
  return readlink(stagePaths.day(stageDir, source, folder, date)).catch(() => undefined)
}

/** Points `<table>/<date>` at the run's folder: a new symlink renamed over the old one (atomic). */
export async function pointDay(stageDir: string, source: string, folder: string, date: string, runId: string): Promise<void> {
  const day = stagePaths.day(stageDir, source, folder, date)
  const target = stagePaths.runFolderName(date, runId)
  if ((await dayLinkTarget(stageDir, source, folder, date)) === target) return
  const temp = `${path.join(path.dirname(day), target)}.link`
  await rm(temp, { force: true })
  await symlink(target, temp, 'dir')
  await rename(temp, day)
}

/**
 * Makes an extracted day visible, all at once: the day record `_days/<date>.json` (the run and
 * its tables) is renamed into place first — that is the moment the new day replaces the old
 * one for a load — then each table's `<date>` symlink is pointed at the run's folder and the
 * previous run's folders are removed. A kill between these steps is finished by the next
 * extract's {@link cleanStageSource}.
 *
 * ```ts
 * await publishStagedDay(stageDir, { source: 'postgres', date: '2024-01-15', runId, tables: ['public.films', …], … })
 * ```
 */
export async function publishStagedDay(stageDir: string, record: StageDayRecord): Promise<void> {
  await mkdir(stagePaths.days(stageDir, record.source), { recursive: true })
  for (const folder of record.tables) await syncPath(stagePaths.table(stageDir, record.source, folder))
  await writeJsonDurably(stagePaths.dayRecord(stageDir, record.source, record.date), record)
  for (const folder of record.tables) {
    await pointDay(stageDir, record.source, folder, record.date, record.runId)
    await removeOtherRuns(stageDir, record.source, folder, record.date, record.runId)
  }
}

/** Removes a table's folders of `date` from runs other than `keep` (and leftover temp symlinks); returns the names it removed. */
export async function removeOtherRuns(stageDir: string, source: string, folder: string, date: string, keep: string | undefined): Promise<string[]> {
  const dir = stagePaths.table(stageDir, source, folder)
  const removed: string[] = []
  for (const name of await readdir(dir)) {
    const run = parseRunFolderName(name.replace(/\.link$/, ''))
    if (!run || run.date !== date || (run.runId === keep && !name.endsWith('.link'))) continue
    await rm(path.join(dir, name), { recursive: true, force: true })
    removed.push(name)
  }
  return removed
}
