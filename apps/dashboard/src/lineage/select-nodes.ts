import graphology from 'graphology'
import {
  builtinSelectorMethods,
  selectNodes as runnerSelect,
  type AnyRelation,
  type ModelGraph,
  type SelectorMethod,
  type SourceLoader,
  type SourceLoaders,
} from '@elt/runner'
import type { LineageGraph } from './lineage-graph.ts'

const { DirectedGraph } = graphology

/** The runner's graph type rebuilt from the manifest, with the sources' loaders, once per lineage graph. */
const graphs = new WeakMap<LineageGraph, { graph: ModelGraph; sources: SourceLoaders }>()

/**
 * Beyond the runner's methods, a bare name also matches a node's id (`model.film_ratings`) and
 * `schema.name` of any node, so the dashboard can name source-database tables (`public.films`).
 */
const methods: Record<string, SelectorMethod> = {
  name: (r, value, matches, context) => builtinSelectorMethods.name!(r, value, matches, context) || matches(r.id) || (r.kind !== 'model' && matches(`${(r as { schema?: string }).schema}.${r.name}`)),
}

/**
 * dbt's node selection, evaluated by the runner's own parser and selector (`name`, `+name`,
 * `name+`, `2+name+1`, `@name`, `tag:x`, `source:raw.films+`, `source:<configured source>+`, unions, intersections, exclude)
 * over the manifest's lineage. Throws the runner's `EltError` (exit code 2) naming a bad selector.
 *
 * ```ts
 * selectNodes(graph, '1+film_ratings+1', '') // → Set { 'model.film_ratings', 'model.stg_films', … }
 * selectNodes(graph, 'flim_ratings', '')     // throws: The selector "flim_ratings" matches no node.
 * ```
 */
export function selectNodes(graph: LineageGraph, select: string, exclude: string): Set<string> {
  let built = graphs.get(graph)
  if (!built) {
    const modelGraph = new DirectedGraph<{ relation: AnyRelation }>()
    const loaders = new Map<string, SourceLoader>()
    for (const node of graph.byId.values()) {
      // Only the fields the selector methods read: kind, name, schema, tags, materialized.
      const kind = node.kind === 'raw' ? 'source' : node.kind === 'source' ? 'upstream' : 'model'
      const relation = { id: node.id, kind, name: node.name, schema: node.schema, tags: node.tags, materialized: node.materialized ?? null }
      modelGraph.addNode(node.id, { relation: relation as unknown as AnyRelation })
      if (node.kind === 'raw' && node.loader) loaders.set(`${node.schema}.${node.name}`, node.loader)
    }
    for (const [id, parents] of graph.parents) for (const parent of parents) if (!modelGraph.hasDirectedEdge(parent, id)) modelGraph.addDirectedEdge(parent, id)
    // `source:<name>` as in the CLI, from the loaders the manifest records
    const sources: SourceLoaders = { names: [...new Set([...loaders.values()].map((l) => l.source))], loaderOf: (schema, name) => loaders.get(`${schema}.${name}`) }
    built = { graph: modelGraph, sources }
    graphs.set(graph, built)
  }
  return new Set(runnerSelect(built.graph, { select: [select], exclude: [exclude], methods, sources: built.sources }))
}
