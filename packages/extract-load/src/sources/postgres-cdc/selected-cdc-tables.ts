import { parseStageSelectors, tableSelected } from '../../stage/stage-selection.ts'

/**
 * The cdc tables of a pipeline that `--select`/`--exclude` pick: those `select` matches (every one
 * without selectors) and `exclude` does not (`source:<name>[.<table>]`, globs allowed in both parts;
 * a selector naming no configured source is a usage error). A run streams a pipeline when this is
 * not empty; `--full-refresh` copies these tables again.
 *
 * ```ts
 * selectedCdcTables({ sourceName: 'postgres', tables: ['public.accounts', 'public.orders'] }, ['postgres'], { select: ['source:postgres.public.accounts'], exclude: [] })
 * // ['public.accounts']
 * ```
 */
export function selectedCdcTables(
  pipeline: { sourceName: string; tables: readonly string[] },
  sourceNames: readonly string[],
  refresh: { select: readonly string[]; exclude: readonly string[] },
): string[] {
  const select = parseStageSelectors(refresh.select, sourceNames)
  const exclude = parseStageSelectors(refresh.exclude, sourceNames)
  const matches = (selectors: typeof select, table: string) => tableSelected(selectors, pipeline.sourceName, table, table.slice(table.indexOf('.') + 1))
  return pipeline.tables.filter((t) => matches(select, t) && !(exclude.length > 0 && matches(exclude, t)))
}
