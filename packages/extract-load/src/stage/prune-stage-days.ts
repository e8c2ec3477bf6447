import { readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { listTableFolders } from './publish-staged-day.ts'
import { parseRunFolderName, stagePaths } from './stage-paths.ts'
import { addDays } from './stage-date.ts'

/**
 * `stage.keepDays`: after a successful extract of `date`, removes the source's days older than
 * the `keepDays` days ending at `date` (`keepDays: 7` after extracting 2024-01-15 keeps
 * 2024-01-09 … 2024-01-15; later days are never touched). The day record goes first, so a
 * pruned day is never half there. Returns the dates pruned.
 *
 * ```ts
 * await pruneStageDays('/data/stage', 'postgres', '2024-01-15', 7) // ['2024-01-01', '2024-01-08']
 * ```
 */
export async function pruneStageDays(stageDir: string, source: string, date: string, keepDays: number): Promise<string[]> {
  const oldest = addDays(date, -(keepDays - 1))
  const pruned = new Set<string>()
  const daysDir = stagePaths.days(stageDir, source)
  for (const name of await readdir(daysDir).catch(() => [] as string[])) {
    const day = /^(\d{4}-\d{2}-\d{2})\.json$/.exec(name)?.[1]
    if (day && day < oldest) {
      await rm(path.join(daysDir, name), { force: true })
      pruned.add(day)
    }
  }
  for (const folder of await listTableFolders(stageDir, source)) {
    const dir = stagePaths.table(stageDir, source, folder)
    const names = await readdir(dir)
    // symlinks first, then the run folders they point to
    for (const name of [...names.filter((n) => /^\d{4}-\d{2}-\d{2}$/.test(n)), ...names.filter((n) => parseRunFolderName(n.replace(/\.link$/, '')))]) {
      const day = /^\d{4}-\d{2}-\d{2}$/.test(name) ? name : parseRunFolderName(name.replace(/\.link$/, ''))!.date
      if (day >= oldest) continue
      await rm(path.join(dir, name), { recursive: true, force: true })
      pruned.add(day)
    }
  }
  return [...pruned].sort()
}
