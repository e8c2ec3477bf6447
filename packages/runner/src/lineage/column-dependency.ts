/**
 * How an output column comes from an input column:
 * - `direct`: the value passes through unchanged, possibly renamed or cast (`f.title`, `cast(f.price as text) as price_text`);
 * - `derived`: the value is computed from it (`avg(f.user_rating)`, `case when f.user_rating >= 4.5 …`, `coalesce(c.n, 0)`).
 */
export type ColumnEdgeKind = 'direct' | 'derived'

/** Where inside the expression a `derived` input sits, when that says more than "computed" (OpenLineage's subtypes). */
export type ColumnEdgeVia = 'aggregate' | 'window' | 'condition'

/** One input column of an output column, in a parent node (`{ node: 'model.stg_films', column: 'user_rating', kind: 'direct' }`). */
export interface ColumnEdge {
  node: string
  column: string
  kind: ColumnEdgeKind
  via?: ColumnEdgeVia
}

/**
 * A piece of raw SQL text with no reference inside (`sql\`now()\``): the column may read something
 * the tree cannot show. Reported, never guessed; `node` is the model itself.
 */
export interface OpaqueDependency {
  node: string
  column: null
  kind: 'opaque'
  /** The SQL text, as written in the template. */
  sql: string
}

/** What a model column's `depends_on` lists. */
export type ColumnDependency = ColumnEdge | OpaqueDependency

/** The clause a `filter` column sits in; it shapes the model's rows, not one column's value. */
export type FilterClause = 'where' | 'join' | 'group_by' | 'having' | 'order_by' | 'distinct'

/** A column that filters, joins, groups or orders the model's rows (`nodes.<model>.depends_on_columns`). */
export interface FilterDependency {
  node: string
  column: string
  kind: 'filter'
  clause: FilterClause
}

/** One model's column lineage: each output column's inputs in its parents, and the model's filter columns. */
export interface ModelLineage {
  /** Output columns in select order. */
  columns: Map<string, ColumnDependency[]>
  filters: FilterDependency[]
}

/** Every model's lineage, by node id; sources' known column names (codegen's lists), by node id. */
export interface ProjectLineage {
  models: Map<string, ModelLineage>
  sourceColumns: Map<string, readonly string[]>
}

/** A stable key of a dependency, for de-duplication and comparison. */
export function dependencyKey(dep: ColumnDependency | FilterDependency): string {
  if (dep.kind === 'opaque') return `opaque|${dep.node}|${dep.sql}`
  if (dep.kind === 'filter') return `filter|${dep.node}|${dep.column}|${dep.clause}`
  return `${dep.kind}|${dep.node}|${dep.column}|${dep.via ?? ''}`
}

/** `list` without repeats, in first-seen order. */
export function uniqueDependencies<T extends ColumnDependency | FilterDependency>(list: readonly T[]): T[] {
  if (list.length < 2) return [...list]
  const seen = new Set<string>()
  const unique: T[] = []
  for (const dep of list) {
    const key = dependencyKey(dep)
    if (seen.has(key)) continue
    seen.add(key)
    unique.push(dep)
  }
  return unique
}
