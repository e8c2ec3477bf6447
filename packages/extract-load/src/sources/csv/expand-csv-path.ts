import { stat } from 'node:fs/promises'
import path from 'node:path'
import { EltError, ExitCode } from '@elt/core'
import { glob, isDynamicPattern } from 'tinyglobby'

/**
 * The files a CSV source's `path` names, as absolute paths sorted by name (code-point order, so
 * `sales-2024-01.csv` comes before `sales-2024-02.csv.gz`): the file itself, or every file a glob
 * (`*`, `**`, `?`, `{a,b}`, `[0-9]`) matches. Relative paths are relative to `cwd`. None found →
 * an error naming the path.
 *
 * ```ts
 * await expandCsvPath('data/sales-*.csv*', '/repo') // ['/repo/data/sales-01.csv', '/repo/data/sales-02.csv.gz']
 * ```
 */
export async function expandCsvPath(pattern: string, cwd: string = process.cwd()): Promise<string[]> {
  if (!isDynamicPattern(pattern)) {
    const file = path.resolve(cwd, pattern)
    const info = await stat(file).catch(() => undefined)
    if (!info?.isFile()) throw notFound(pattern, cwd, info ? 'is not a file' : 'does not exist')
    return [file]
  }
  const files = await glob(pattern, { cwd, absolute: true, onlyFiles: true, expandDirectories: false })
  if (files.length === 0) throw notFound(pattern, cwd, 'matches no file')
  return files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

function notFound(pattern: string, cwd: string, what: string): EltError {
  return new EltError(`CSV source path "${pattern}" ${what} (relative to ${cwd}).`, {
    hint: 'Fix `path` in the source config: a file, or a glob such as data/*.csv.',
    exitCode: ExitCode.usage,
  })
}
