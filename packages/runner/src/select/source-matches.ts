import { globMatcher, isGlob } from '@elt/core'
import type { SourceRelation } from '../define/relation.ts'
import type { SourceLoaders } from './source-loaders.ts'

/**
 * The `source:` selector method. `value` is read two ways:
 *
 * - a configured source: `source:<name>` (every table that source loads) or `source:<name>.<table>`
 *   (`<table>` matches the destination table's name or where it comes from: `source:postgres.films`,
 *   `source:postgres.public.films`, `source:postgres.orders` for `raw_sales.orders`);
 * - a destination schema: `source:raw` (every source relation in `raw`) or `source:raw.films`.
 *
 * When the part before the first dot is exactly a configured source's name, only the first reading
 * applies (a source named `raw` hides the schema `raw` from `source:`); with a wildcard (`source:*`)
 * a relation matching either reading is selected.
 *
 * ```ts
 * sourceMatches(rawTicketSales, 'ticket_sales', globMatcher('ticket_sales'), loaders) // true (the CSV source)
 * sourceMatches(rawFilms, 'raw.films', globMatcher('raw.films'), loaders)              // true (schema raw, no source named raw)
 * ```
 */
export function sourceMatches(relation: SourceRelation<unknown>, value: string, matches: (text: string) => boolean, sources: SourceLoaders | undefined): boolean {
  const dot = value.indexOf('.')
  const head = dot === -1 ? value : value.slice(0, dot)
  if (sources) {
    const loader = sources.loaderOf(relation.schema, relation.name)
    if (loader && globMatcher(head)(loader.source)) {
      if (dot === -1) return true
      const table = globMatcher(value.slice(dot + 1))
      if (table(relation.name) || table(loader.from)) return true
    }
    if (!isGlob(head) && sources.names.includes(head)) return false
  }
  return matches(`${relation.schema}.${relation.name}`) || (dot === -1 && matches(relation.schema))
}
