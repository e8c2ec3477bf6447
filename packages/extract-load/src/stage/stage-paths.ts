import path from 'node:path'

/**
 * Where a day's files live in the stage:
 *
 * ```
 * <stage.dir>/<source>/<table>/<date>            → symlink to .<date>.<runId> (the day as last extracted)
 * <stage.dir>/<source>/<table>/.<date>.<runId>/  → part-0001.csv[.gz] … + _manifest.json
 * <stage.dir>/<source>/_days/<date>.json         → the day's record: the run and its tables (written last)
 * <stage.dir>/<source>/.extract.lock             → held by the extract writing the source
 * ```
 *
 * A table folder is the source's qualified name for PostgreSQL (`public.films`) and the configured
 * `table` for a CSV source, escaped so it is one safe folder name ({@link stageFolderName}).
 */
export const stagePaths = {
  source: (stageDir: string, source: string) => path.join(stageDir, source),
  table: (stageDir: string, source: string, folder: string) => path.join(stageDir, source, folder),
  /** The day's public name: a symlink to the run's folder. */
  day: (stageDir: string, source: string, folder: string, date: string) => path.join(stageDir, source, folder, date),
  /** The run's folder for the day, hidden until the day is published. */
  runFolderName: (date: string, runId: string) => `.${date}.${runId}`,
  runFolder: (stageDir: string, source: string, folder: string, date: string, runId: string) =>
    path.join(stageDir, source, folder, stagePaths.runFolderName(date, runId)),
  days: (stageDir: string, source: string) => path.join(stageDir, source, daysFolder),
  dayRecord: (stageDir: string, source: string, date: string) => path.join(stageDir, source, daysFolder, `${date}.json`),
  lock: (stageDir: string, source: string) => path.join(stageDir, source, '.extract.lock'),
}

export const daysFolder = '_days'
export const manifestFile = '_manifest.json'

/** `.2024-01-15.<uuid>` → `{ date, runId }`; anything else → undefined. */
export function parseRunFolderName(name: string): { date: string; runId: string } | undefined {
  const m = /^\.(\d{4}-\d{2}-\d{2})\.([0-9a-f-]{36})$/.exec(name)
  return m ? { date: m[1]!, runId: m[2]! } : undefined
}

/**
 * A table's folder name: `public.films` stays `public.films`; a `/`, `\`, `%`, control
 * character, or a leading `.`/`_` (hidden folders and `_days` are the stage's own) is
 * percent-encoded, so every name is one folder that never collides with the stage's files.
 *
 * ```ts
 * stageFolderName('public.films')  // 'public.films'
 * stageFolderName('a/b')           // 'a%2Fb'
 * stageFolderName('_days')         // '%5Fdays'
 * ```
 */
export function stageFolderName(name: string): string {
  const enc = (ch: string) => '%' + ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')
  let out = ''
  for (const ch of name) out += /[/\\%\u0000-\u001f\u007f]/.test(ch) ? enc(ch) : ch
  if (out.startsWith('.') || out.startsWith('_')) out = enc(out[0]!) + out.slice(1)
  return out
}

/** A data file's name: `part-0001.csv`, `part-0002.csv.gz`, … (`.copy` for COPY text, `.bin` for COPY binary). */
export function partFileName(index: number, format: 'csv' | 'text' | 'binary', gzip: boolean): string {
  const ext = format === 'csv' ? 'csv' : format === 'text' ? 'copy' : 'bin'
  return `part-${String(index).padStart(4, '0')}.${ext}${gzip ? '.gz' : ''}`
}
