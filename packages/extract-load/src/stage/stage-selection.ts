import { EltError, ExitCode, globMatcher } from '@elt/core'

/** One `--select source:<name>[.<table>]` of `extract`/`load`, parsed. */
export interface StageSelector {
  source: (name: string) => boolean
  /** Matches a table's folder name (`public.films`) or its name (`films`); undefined = every table. */
  table?: (folderOrName: string) => boolean
  /** The table part as written (`films`, `public.film_*`), for a reader's `discover({ include })`. */
  pattern?: string
  text: string
}

/**
 * Parses `--select` values of `extract`/`load` (the runner's `source:` syntax): `source:csv`
 * (every table of the source `csv`), `source:postgres.films` or `source:postgres.public.films`,
 * globs allowed (`source:postgres.film_*`). Several values are a union. Anything else, or a
 * source name the config does not have, is a usage error (exit 2).
 *
 * ```ts
 * parseStageSelectors(['source:postgres.films'], ['postgres', 'csv'])
 * // [{ source: (n) => n === 'postgres', table: (t) => t === 'films', text: 'source:postgres.films' }]
 * ```
 */
export function parseStageSelectors(values: readonly string[], sourceNames: readonly string[]): StageSelector[] {
  const out: StageSelector[] = []
  for (const raw of values.flatMap((v) => v.split(/\s+/)).filter((v) => v !== '')) {
    const m = /^source:([^.]+)(?:\.(.+))?$/.exec(raw)
    if (!m) {
      throw new EltError(`--select "${raw}" is not a source selector: extract and load take source:<name> or source:<name>.<table>.`, {
        hint: `Sources in the config: ${sourceNames.join(', ')}.`,
        exitCode: ExitCode.usage,
      })
    }
    const source = globMatcher(m[1]!)
    if (!sourceNames.some(source)) {
      throw new EltError(`--select "${raw}" names no configured source.`, { hint: `Sources in the config: ${sourceNames.join(', ')}.`, exitCode: ExitCode.usage })
    }
    out.push({ source, ...(m[2] === undefined ? {} : { table: globMatcher(m[2]), pattern: m[2] }), text: raw })
  }
  return out
}

/** The selected sources (every one without selectors), in config order. */
export function selectedSources(selectors: readonly StageSelector[], sourceNames: readonly string[]): string[] {
  return selectors.length === 0 ? [...sourceNames] : sourceNames.filter((n) => selectors.some((s) => s.source(n)))
}

/** Whether a source's table is selected: a selector of the source without a table, or whose table matches its folder or name. */
export function tableSelected(selectors: readonly StageSelector[], source: string, folder: string, name: string): boolean {
  if (selectors.length === 0) return true
  return selectors.some((s) => s.source(source) && (s.table === undefined || s.table(folder) || s.table(name)))
}
