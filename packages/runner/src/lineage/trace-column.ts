import type { SourceLoader } from '../select/source-loaders.ts'
import type { ColumnGraph, ColumnRef } from './column-graph.ts'

/** Where a raw column comes from, when the extract-load step knows it: `public.films.user_rating`, a CSV file's column. */
export interface ColumnOrigin extends SourceLoader {
  column: string
}

/** One step of a column's lineage tree. The root has no `kind`; `column` is null for an opaque fragment or a filter use. */
export interface LineageTree {
  node: string
  column: string | null
  kind?: 'direct' | 'derived' | 'filter' | 'opaque'
  via?: string
  clause?: string
  sql?: string
  /** Sources: where the extract-load step reads this column. */
  origin?: ColumnOrigin
  children: LineageTree[]
}

export interface TraceOptions {
  /** Hops to follow (default all). */
  depth?: number
  /** The loader of a source node (manifest `loader`), to end a raw column at its origin. */
  loaderOf?: (node: string) => SourceLoader | undefined
}

/**
 * A column's inputs, recursively, back to raw columns and their origin.
 *
 * ```ts
 * upstreamTree(graph, { node: 'model.film_ratings', column: 'title' }, { loaderOf })
 * // { node: 'model.film_ratings', column: 'title', children: [{ node: 'model.stg_films', column: 'title', kind: 'direct',
 * //   children: [{ node: 'source.raw.films', column: 'title', kind: 'direct', origin: { source: 'postgres', …, from: 'public.films', column: 'title' }, children: [] }] }] }
 * ```
 */
export function upstreamTree(graph: ColumnGraph, ref: ColumnRef, options: TraceOptions = {}): LineageTree {
  const visit = (node: string, column: string, depth: number, edge: Partial<LineageTree>): LineageTree => {
    const loader = options.loaderOf?.(node)
    const tree: LineageTree = { node, column, ...edge, ...(loader ? { origin: { ...loader, column } } : {}), children: [] }
    if (depth <= 0) return tree
    for (const dep of graph.up(node, column)) {
      if (dep.kind === 'opaque') tree.children.push({ node: dep.node, column: null, kind: 'opaque', sql: dep.sql, children: [] })
      else tree.children.push(visit(dep.node, dep.column, depth - 1, { kind: dep.kind, ...(dep.via ? { via: dep.via } : {}) }))
    }
    return tree
  }
  return visit(ref.node, ref.column, options.depth ?? Infinity, {})
}

/**
 * The models that use a column, recursively: columns computed from it, and models it filters (leaves).
 *
 * ```ts
 * downstreamTree(graph, { node: 'source.raw.films', column: 'user_rating' })
 * // { …, children: [{ node: 'model.stg_films', column: 'user_rating', kind: 'direct', children: [{ node: 'model.film_ratings', column: 'rating_category', kind: 'derived', … }] }] }
 * ```
 */
export function downstreamTree(graph: ColumnGraph, ref: ColumnRef, options: Pick<TraceOptions, 'depth'> = {}): LineageTree {
  const visit = (node: string, column: string, depth: number, edge: Partial<LineageTree>): LineageTree => {
    const tree: LineageTree = { node, column, ...edge, children: [] }
    if (depth <= 0) return tree
    for (const use of graph.down(node, column)) {
      if (use.column === null) tree.children.push({ node: use.node, column: null, kind: 'filter', ...(use.clause ? { clause: use.clause } : {}), children: [] })
      else tree.children.push(visit(use.node, use.column, depth - 1, { kind: use.kind, ...(use.via ? { via: use.via } : {}) }))
    }
    return tree
  }
  return visit(ref.node, ref.column, options.depth ?? Infinity, {})
}

/** One edge of a column path: `from` is read by `to`. */
export interface ColumnPathEdge {
  from: ColumnRef
  to: ColumnRef | { node: string; column: null }
  kind: 'direct' | 'derived' | 'filter'
}

/**
 * Every column on a column's lineage (inputs, uses, or both), up to `depth` hops, as a flat set of
 * columns and edges, each visited once: what the dashboard highlights and the API returns. Linear
 * in the edges it reaches, however many paths join.
 *
 * ```ts
 * columnPath(graph, { node: 'model.film_ratings', column: 'avg_actor_rating' }, 'up').edges
 * // [{ from: { node: 'model.int_actor_ratings', column: 'avg_user_rating' }, to: { node: 'model.film_ratings', … }, kind: 'derived' }, …]
 * ```
 */
export function columnPath(graph: ColumnGraph, ref: ColumnRef, direction: 'up' | 'down' | 'both' = 'both', depth = Infinity): { columns: ColumnRef[]; edges: ColumnPathEdge[] } {
  const seen = new Set<string>([`${ref.node}\u0000${ref.column}`])
  const columns: ColumnRef[] = [ref]
  const edges: ColumnPathEdge[] = []
  const walk = (way: 'up' | 'down') => {
    const done = new Set<string>()
    const add = (column: ColumnRef, next: ColumnRef[]) => {
      const id = `${column.node}\u0000${column.column}`
      if (!seen.has(id)) {
        seen.add(id)
        columns.push(column)
      }
      if (!done.has(id)) next.push(column)
    }
    let frontier = [ref]
    for (let hop = 0; hop < depth && frontier.length; hop++) {
      const next: ColumnRef[] = []
      for (const current of frontier) {
        const id = `${current.node}\u0000${current.column}`
        if (done.has(id)) continue
        done.add(id)
        if (way === 'up') {
          for (const dep of graph.up(current.node, current.column)) {
            if (dep.kind === 'opaque') continue
            const from = { node: dep.node, column: dep.column }
            edges.push({ from, to: current, kind: dep.kind })
            add(from, next)
          }
        } else {
          for (const use of graph.down(current.node, current.column)) {
            if (use.column === null) {
              edges.push({ from: current, to: { node: use.node, column: null }, kind: 'filter' })
              continue
            }
            const to = { node: use.node, column: use.column }
            edges.push({ from: current, to, kind: use.kind === 'filter' ? 'filter' : use.kind })
            add(to, next)
          }
        }
      }
      frontier = next
    }
  }
  if (direction !== 'down') walk('up')
  if (direction !== 'up') walk('down')
  return { columns, edges }
}

/**
 * The nodes a change to a column affects: the models computing a column from it (recursively,
 * up to `depth` hops) and, once a model filters, joins or groups on an affected column, that model
 * and every node downstream of it (`descendantsOf`), since all its rows may change.
 *
 * ```ts
 * impactedNodes(graph, { node: 'source.raw.films', column: 'user_rating' }, (id) => reachable(dag, id, 'down'))
 * // Set { 'model.stg_films', 'model.film_ratings', … }
 * ```
 */
export function impactedNodes(graph: ColumnGraph, ref: ColumnRef, descendantsOf: (node: string) => Iterable<string>, depth = Infinity): Set<string> {
  const nodes = new Set<string>()
  const visited = new Set<string>()
  let frontier: ColumnRef[] = [ref]
  for (let hop = 0; hop < depth && frontier.length; hop++) {
    const next: ColumnRef[] = []
    for (const current of frontier) {
      for (const use of graph.down(current.node, current.column)) {
        if (use.column === null) {
          if (nodes.has(use.node) && visited.has(`${use.node}\u0000*`)) continue
          nodes.add(use.node)
          visited.add(`${use.node}\u0000*`)
          for (const id of descendantsOf(use.node)) nodes.add(id)
          continue
        }
        const id = `${use.node}\u0000${use.column}`
        nodes.add(use.node)
        if (!visited.has(id)) {
          visited.add(id)
          next.push({ node: use.node, column: use.column })
        }
      }
    }
    frontier = next
  }
  return nodes
}
