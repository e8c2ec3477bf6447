import path from 'node:path'
import { EltError } from '@elt/core'
import { readStageDayRecord, readStageManifest, type StageDayRecord, type StageManifest } from './stage-manifest.ts'
import { manifestFile, stagePaths } from './stage-paths.ts'

/** What a load asks of the stage: a source's day, all its tables or the named ones (folder names). */
export interface WantedSource {
  source: string
  tables?: readonly string[]
}

/** A source's complete day: its record and the manifest of each wanted table, from the record's run. */
export interface StagedSourceDay {
  source: string
  record: StageDayRecord
  tables: { folder: string; dir: string; manifest: StageManifest }[]
}

/**
 * Checks that `date` is completely extracted for every wanted source: its day record exists
 * (an extract of the day finished) and every wanted table is listed there with a
 * `_manifest.json` from that same run. Otherwise throws one paragraph (exit 1) naming the day,
 * every missing folder and the command to run first — before anything touches the destination.
 *
 * ```ts
 * const days = await checkStagedDay('/data/stage', '2024-01-15', [{ source: 'postgres' }, { source: 'csv' }])
 * // days[0].tables[0] → { folder: 'public.films', dir: '/data/stage/postgres/public.films/.2024-01-15.<run>', manifest }
 * ```
 */
export async function checkStagedDay(stageDir: string, date: string, wanted: readonly WantedSource[]): Promise<StagedSourceDay[]> {
  const missing: string[] = []
  const missingSources = new Set<string>()
  const days: StagedSourceDay[] = []
  const rel = (p: string) => path.relative(stageDir, p) || '.'
  for (const want of wanted) {
    const recordFile = stagePaths.dayRecord(stageDir, want.source, date)
    const record = await readStageDayRecord(recordFile)
    if (!record) {
      const folders = want.tables?.length ? want.tables.map((t) => `${rel(stagePaths.day(stageDir, want.source, t, date))}/`) : [`${want.source}/<table>/${date}/`]
      missing.push(`${folders.join(', ')} (no finished extract of ${want.source} for that day: ${rel(recordFile)} is missing)`)
      missingSources.add(want.source)
      continue
    }
    const day: StagedSourceDay = { source: want.source, record, tables: [] }
    for (const folder of want.tables ?? record.tables) {
      const dayDir = `${rel(stagePaths.day(stageDir, want.source, folder, date))}/`
      if (!record.tables.includes(folder)) {
        missing.push(`${dayDir} (not part of the extract of ${want.source} for that day, run ${record.runId})`)
        missingSources.add(want.source)
        continue
      }
      const dir = stagePaths.runFolder(stageDir, want.source, folder, date, record.runId)
      const manifest = await readStageManifest(path.join(dir, manifestFile))
      if (!manifest || manifest.runId !== record.runId) {
        missing.push(`${dayDir} (its folder from run ${record.runId} is gone or has no ${manifestFile})`)
        missingSources.add(want.source)
        continue
      }
      day.tables.push({ folder, dir, manifest })
    }
    days.push(day)
  }
  if (missing.length > 0) {
    const selects = [...missingSources].map((s) => ` --select source:${s}`).join('')
    throw new EltError(
      `Day ${date} is not completely extracted in the stage ${stageDir}: missing ${missing.join('; ')}. Nothing was loaded and the destination is unchanged.`,
      { hint: `Run \`pnpm elt extract --date ${date}${selects}\` first, then load the day again.` },
    )
  }
  return days
}
