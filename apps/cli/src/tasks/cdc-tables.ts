import type { CommandContext } from '../context.ts'

/**
 * The configured sources' cdc tables, per postgres source (`tables: { 'public.accounts': { strategy: 'cdc' } }`).
 *
 * ```ts
 * cdcTablesBySource(context.config.sources) // [{ sourceName: 'postgres', tables: ['public.accounts'] }]
 * ```
 */
export function cdcTablesBySource(sources: CommandContext['config']['sources']): { sourceName: string; tables: string[] }[] {
  return Object.entries(sources).flatMap(([sourceName, config]) => {
    if (config.kind !== 'postgres' || !config.tables) return []
    const tables = Object.entries(config.tables).filter(([, t]) => t.strategy === 'cdc').map(([name]) => name)
    return tables.length > 0 ? [{ sourceName, tables: tables.sort() }] : []
  })
}

/** `--exclude` selectors leaving the cdc tables out of the copy path (`source:postgres.public.accounts`): the pipeline loads them. */
export const cdcExcludes = (sources: CommandContext['config']['sources']): string[] => cdcTablesBySource(sources).flatMap((p) => p.tables.map((t) => `source:${p.sourceName}.${t}`))

/**
 * The postgres sources whose cdc pipelines a run with `--select`/`--exclude` loads: those where the
 * selection picks at least one cdc table (globs allowed, `source:post*` too; no selectors: every one).
 *
 * ```ts
 * await selectedCdcSources(sources, ['source:postgres.public.acc*'], []) // ['postgres']
 * await selectedCdcSources(sources, ['source:postgres.films'], [])       // [] (films is not a cdc table)
 * ```
 */
export async function selectedCdcSources(sources: CommandContext['config']['sources'], select: readonly string[] = [], exclude: readonly string[] = []): Promise<string[]> {
  const pipelines = cdcTablesBySource(sources)
  if (pipelines.length === 0) return []
  const { selectedCdcTables } = await import('@elt/extract-load/cdc')
  const names = Object.keys(sources)
  return pipelines.filter((p) => selectedCdcTables(p, names, { select, exclude }).length > 0).map((p) => p.sourceName)
}

/**
 * `--select` values without those naming a cdc table (`source:postgres.public.accounts` or
 * `source:postgres.accounts`): the copy path does not see cdc tables (see `cdcExcludes`) and would
 * refuse them as unknown; their pipeline takes them (`--full-refresh` copies them there).
 *
 * ```ts
 * withoutCdcSelectors(sources, ['source:postgres.public.accounts', 'source:postgres.films']) // ['source:postgres.films']
 * ```
 */
export function withoutCdcSelectors(sources: CommandContext['config']['sources'], select: readonly string[] | undefined): string[] | undefined {
  if (!select) return undefined
  const cdc = new Set(cdcTablesBySource(sources).flatMap((p) => p.tables.flatMap((t) => [`source:${p.sourceName}.${t}`, `source:${p.sourceName}.${t.slice(t.indexOf('.') + 1)}`])))
  return select.filter((s) => !cdc.has(s))
}
