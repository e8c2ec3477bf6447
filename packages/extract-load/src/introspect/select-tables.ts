import { EltError, ExitCode, globMatcher, isGlob } from '@elt/core'

/**
 * `films`, `public.film_*`, `sales.*`, `film_?` (globs of `globMatcher`): a pattern without a dot
 * matches the table name in any selected schema.
 */
export function tableMatcher(pattern: string): (schema: string, name: string) => boolean {
  const dot = pattern.indexOf('.')
  if (dot < 0) {
    const name = globMatcher(pattern)
    return (_schema, table) => name(table)
  }
  const schema = globMatcher(pattern.slice(0, dot))
  const name = globMatcher(pattern.slice(dot + 1))
  return (s, table) => schema(s) && name(table)
}

/**
 * Applies include/exclude patterns to the source's tables. A pattern without wildcards
 * that names no table is a configuration error (exit 2), so a typo never silently copies nothing.
 *
 * ```ts
 * selectTables(tables, { include: ['public.film*'], exclude: ['film_actors'] }) // public.films, public.film_category
 * ```
 */
export function selectTables<T extends { schema: string; name: string }>(
  tables: readonly T[],
  patterns: { include?: readonly string[]; exclude?: readonly string[] },
  options: { unknown?: 'error' | 'ignore' } = {},
): T[] {
  const include = patterns.include ?? []
  const exclude = patterns.exclude ?? []
  for (const pattern of options.unknown === 'ignore' ? [] : [...include, ...exclude]) {
    if (isGlob(pattern)) continue
    const matches = tableMatcher(pattern)
    if (!tables.some((t) => matches(t.schema, t.name))) {
      const list = include.includes(pattern) ? 'include' : 'exclude'
      throw new EltError(`Unknown table "${pattern}" in the replicate ${list} list of the config: the source has no such table in the replicated schemas.`, {
        hint: 'Check the spelling (tables are named `table` or `schema.table`), list its schema under replicate.schemas, or remove it from elt.config.ts.',
        exitCode: ExitCode.usage,
      })
    }
  }
  const included = include.length === 0 ? () => true : (s: string, n: string) => include.some((p) => tableMatcher(p)(s, n))
  const excluded = (s: string, n: string) => exclude.some((p) => tableMatcher(p)(s, n))
  return tables.filter((t) => included(t.schema, t.name) && !excluded(t.schema, t.name))
}
