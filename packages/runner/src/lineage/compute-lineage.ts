import { SelectQueryNode, type OperationNode } from 'kysely'
import { compileOnlyDb } from '../compile/compile-select.ts'
import type { Project } from '../define/project.ts'
import type { ModelRelation } from '../define/relation.ts'
import { topologicalOrder, type ModelGraph } from '../graph/build-graph.ts'
import type { ModelLineage, ProjectLineage } from './column-dependency.ts'
import { uniqueDependencies } from './column-dependency.ts'
import { QueryLineageVisitor, type LineageBase } from './query-lineage-visitor.ts'

/** The known column names of a raw table (codegen's `rawColumns`), or undefined. */
export type SourceColumns = (schema: string, name: string) => readonly string[] | undefined

/**
 * One model's column lineage: its query tree walked by {@link QueryLineageVisitor}, each `from`
 * key standing for its parent with that parent's known columns (`columnsOf`).
 *
 * ```ts
 * modelLineage(stgFilms, () => ['film_id', 'title']).columns.get('title')
 * // [{ node: 'source.raw.films', column: 'title', kind: 'direct' }]
 * ```
 */
export function modelLineage(model: ModelRelation<any, any>, columnsOf: (id: string) => readonly string[] | undefined, query?: OperationNode): ModelLineage {
  const bases = new Map<string, LineageBase>()
  for (const [key, dep] of Object.entries(model.from as Record<string, { id: string }>)) bases.set(key, { node: dep.id, names: columnsOf(dep.id) })
  const visitor = new QueryLineageVisitor(model.id, bases)
  const tree = query ?? (model.query(compileOnlyDb) as { toOperationNode(): OperationNode }).toOperationNode()
  const columns = SelectQueryNode.is(tree) ? visitor.query(tree) : new Map()
  return { columns, filters: uniqueDependencies(visitor.filters) }
}

/**
 * Column lineage of every model, in dependency order, so that each model's `select *` and
 * unqualified references see its parents' columns: a model's own output columns, a source's from
 * `sourceColumns` (codegen's lists). `queryOf` gives a model's tree already built by the compile
 * step (`CompiledNode.query`), so the query is not built twice.
 *
 * ```ts
 * const lineage = computeLineage(project, graph, (schema, name) => rawColumns.tables[name])
 * lineage.models.get('model.film_ratings')?.columns.get('title')
 * // [{ node: 'model.stg_films', column: 'title', kind: 'direct' }]
 * ```
 */
export function computeLineage(
  project: Project,
  graph: ModelGraph,
  sourceColumns: SourceColumns = () => undefined,
  queryOf: (id: string) => OperationNode | undefined = () => undefined,
): ProjectLineage {
  const known = new Map<string, readonly string[]>()
  const sources = new Map<string, readonly string[]>()
  for (const source of project.sources.values()) {
    const names = sourceColumns(source.schema, source.name)
    if (names) {
      known.set(source.id, names)
      sources.set(source.id, names)
    }
  }
  const models = new Map<string, ModelLineage>()
  for (const id of topologicalOrder(graph)) {
    const model = project.models.get(id)
    if (!model) continue
    const lineage = modelLineage(model, (dep) => known.get(dep), queryOf(id))
    models.set(id, lineage)
    if (!lineage.columns.has('*')) known.set(id, [...lineage.columns.keys()])
  }
  return { models, sourceColumns: sources }
}
