import { EltError, ExitCode } from '@elt/core'
import type { ColumnGraph, ColumnRef } from './column-graph.ts'

/**
 * Reads a column as people write it: `<model>.<column>`, `<schema>.<table>.<column>` for a raw
 * table, or with the node id (`model.film_ratings.title`, `source.raw.films.title`). A node or column
 * the project lacks is a usage error naming it.
 *
 * ```ts
 * parseColumnRef('film_ratings.avg_actor_rating', graph, ids) // { node: 'model.film_ratings', column: 'avg_actor_rating' }
 * parseColumnRef('raw.films.user_rating', graph, ids)         // { node: 'source.raw.films', column: 'user_rating' }
 * ```
 */
export function parseColumnRef(text: string, graph: ColumnGraph, hasNode: (id: string) => boolean): ColumnRef {
  const dot = text.lastIndexOf('.')
  if (dot <= 0 || dot === text.length - 1) {
    throw new EltError(`"${text}" does not name a column.`, {
      hint: 'Write <model>.<column> (film_ratings.title) or <schema>.<table>.<column> for a raw table (raw.films.user_rating).',
      exitCode: ExitCode.usage,
    })
  }
  const prefix = text.slice(0, dot)
  const column = text.slice(dot + 1)
  const node = [prefix, `model.${prefix}`, `source.${prefix}`].find(hasNode)
  if (!node) {
    throw new EltError(`No model or source "${prefix}" (in "${text}").`, { hint: 'Check the spelling; `pnpm elt ls` lists every node.', exitCode: ExitCode.usage })
  }
  const known = graph.columnsOf(node)
  if (known.length > 0 && !known.includes(column)) {
    throw new EltError(`${node} has no column "${column}".`, { hint: `Its columns: ${known.join(', ')}.`, exitCode: ExitCode.usage })
  }
  return { node, column }
}
