import { readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { dayLinkTarget, listTableFolders, pointDay, removeOtherRuns } from './publish-staged-day.ts'
import { readStageDayRecord } from './stage-manifest.ts'
import { parseRunFolderName, stagePaths } from './stage-paths.ts'

/**
 * Run under the source's extract lock, before writing: finishes what a killed extract left.
 * A day whose record was renamed into place but whose symlinks were not all moved gets them
 * moved; every other run folder (`.<date>.<runId>` that neither the day record nor the
 * `<date>` symlink names: a dead run's half-written day) is removed, with leftover temp files.
 * Returns the number of folders removed and the runs they came from.
 *
 * ```ts
 * await cleanStageSource('/data/stage', 'postgres') // { folders: 1, runs: ['0b3f…'] } (a run killed mid-extract)
 * ```
 */
export async function cleanStageSource(stageDir: string, source: string): Promise<{ folders: number; runs: string[] }> {
  const runs = new Set<string>()
  let removed = 0
  const records = new Map<string, string>() // date → run id of the day record
  const daysDir = stagePaths.days(stageDir, source)
  for (const name of await readdir(daysDir).catch(() => [] as string[])) {
    if (name.endsWith('.tmp')) {
      await rm(path.join(daysDir, name), { force: true })
      continue
    }
    const date = /^(\d{4}-\d{2}-\d{2})\.json$/.exec(name)?.[1]
    if (!date) continue
    const record = await readStageDayRecord(path.join(daysDir, name)).catch(() => undefined)
    if (record) {
      records.set(date, record.runId)
      for (const folder of record.tables) {
        const exists = await readdir(stagePaths.runFolder(stageDir, source, folder, date, record.runId)).then(() => true, () => false)
        if (exists) await pointDay(stageDir, source, folder, date, record.runId)
      }
    }
  }
  for (const folder of await listTableFolders(stageDir, source)) {
    const dates = new Set<string>()
    for (const name of await readdir(stagePaths.table(stageDir, source, folder))) {
      const run = parseRunFolderName(name.replace(/\.link$/, ''))
      if (run) dates.add(run.date)
    }
    for (const date of dates) {
      const linked = parseRunFolderName((await dayLinkTarget(stageDir, source, folder, date)) ?? '')?.runId
      const keep = linked ?? records.get(date)
      const gone = await removeOtherRuns(stageDir, source, folder, date, keep)
      removed += gone.length
      for (const name of gone) {
        const run = parseRunFolderName(name) // undefined for a temp symlink (`….link`)
        if (run) runs.add(run.runId)
      }
    }
  }
  return { folders: removed, runs: [...runs] }
}
