import { reachable, type ModelGraph } from '../graph/build-graph.ts'
import type { ColumnGraph } from '../lineage/column-graph.ts'
import { parseColumnRef } from '../lineage/parse-column-ref.ts'
import { impactedNodes } from '../lineage/trace-column.ts'
import type { SelectionCriterion } from './parse-selector.ts'

/**
 * The `column:` selector method, over column lineage instead of the model graph:
 * `column:raw.films.user_rating` is the node holding the column; a trailing `+` (or `+n`) adds every
 * model a change to that column affects (those computing a column from it, and, from a model that
 * filters, joins or groups on it, everything downstream); a leading `+` adds the nodes its value
 * comes from; `@` adds the ancestors of everything affected.
 *
 * ```ts
 * columnSelection(graph, columns, parseSelectors(['column:raw.films.user_rating+'], ['column'])[0][0])
 * // Set { 'source.raw.films', 'model.stg_films', 'model.int_actor_ratings', 'model.film_ratings' }
 * ```
 */
export function columnSelection(graph: ModelGraph, columns: ColumnGraph, criterion: SelectionCriterion): Set<string> {
  const ref = parseColumnRef(criterion.value, columns, (id) => graph.hasNode(id))
  const result = new Set([ref.node])
  if (criterion.children > 0 || criterion.childrenParents) {
    const depth = criterion.childrenParents ? Infinity : criterion.children
    const affected = impactedNodes(columns, ref, (id) => reachable(graph, id, 'down'), depth)
    for (const id of affected) result.add(id)
    if (criterion.childrenParents) for (const id of [...result]) for (const up of reachable(graph, id, 'up')) result.add(up)
  }
  if (criterion.parents > 0) {
    let frontier = [ref]
    for (let hop = 0; hop < criterion.parents && frontier.length; hop++) {
      frontier = frontier.flatMap((current) => columns.up(current.node, current.column).flatMap((dep) => (dep.kind === 'opaque' ? [] : [{ node: dep.node, column: dep.column }])))
      for (const current of frontier) result.add(current.node)
    }
  }
  return result
}
