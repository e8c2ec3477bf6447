import type { WantedSource } from './check-staged-day.ts'
import { readStageDayRecord } from './stage-manifest.ts'
import { stagePaths } from './stage-paths.ts'
import type { StageSelector } from './stage-selection.ts'

/**
 * What `load --date D --select …` asks of each source's day: every table its day record lists,
 * or those a selector names (by folder `public.films` or name `films`). A selector's table
 * that the day does not have stays in the list under its own name, so the completeness check
 * names it as missing.
 *
 * ```ts
 * await resolveStagedTables(stageDir, '2024-01-15', ['postgres'], parseStageSelectors(['source:postgres.films'], names))
 * // [{ source: 'postgres', tables: ['public.films'] }]
 * ```
 */
export async function resolveStagedTables(stageDir: string, date: string, sources: readonly string[], selectors: readonly StageSelector[]): Promise<WantedSource[]> {
  const out: WantedSource[] = []
  for (const source of sources) {
    const own = selectors.filter((s) => s.source(source))
    if (own.length === 0 || own.some((s) => s.table === undefined)) {
      out.push({ source })
      continue
    }
    const record = await readStageDayRecord(stagePaths.dayRecord(stageDir, source, date))
    const tables = new Set<string>()
    for (const selector of own) {
      const pattern = selector.text.slice(selector.text.indexOf('.') + 1)
      const matched = (record?.tables ?? []).filter((folder) => selector.table!(folder) || selector.table!(folder.slice(folder.lastIndexOf('.') + 1)))
      if (matched.length === 0) tables.add(pattern)
      for (const folder of matched) tables.add(folder)
    }
    out.push({ source, tables: [...tables] })
  }
  return out
}
