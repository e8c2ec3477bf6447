import { dependencyKey, type ColumnDependency, type FilterDependency } from './column-dependency.ts'

/** A manifest as the diff reads it: models' columns with `depends_on`, and `depends_on_columns`. */
export interface LineageManifest {
  nodes: Record<string, { id: string; kind: string; columns: Record<string, { depends_on?: ColumnDependency[] }>; depends_on_columns?: FilterDependency[] }>
}

/** How one model's column lineage changed. */
export interface ModelLineageChange {
  node: string
  change: 'added' | 'removed' | 'modified'
  /** Columns the model gained, lost, or whose inputs changed (with what was added and removed). */
  columns: { column: string; change: 'added' | 'removed' | 'modified'; added: ColumnDependency[]; removed: ColumnDependency[] }[]
  /** Filter columns (WHERE, ON, GROUP BY, …) added and removed. */
  filters: { added: FilterDependency[]; removed: FilterDependency[] }
}

const models = (manifest: LineageManifest) => new Map(Object.values(manifest.nodes).filter((n) => n.kind === 'model').map((n) => [n.id, n]))

function difference<T extends ColumnDependency | FilterDependency>(a: readonly T[], b: readonly T[]): { added: T[]; removed: T[] } {
  const before = new Set(a.map(dependencyKey))
  const after = new Set(b.map(dependencyKey))
  return { added: b.filter((d) => !before.has(dependencyKey(d))), removed: a.filter((d) => !after.has(dependencyKey(d))) }
}

/**
 * The models whose column lineage differs between a saved manifest (`state`) and the current one:
 * dbt's `state:modified`, by column. A model whose SQL changed but whose columns read the same
 * inputs the same way is not listed.
 *
 * ```ts
 * diffLineage(prodManifest, currentManifest)
 * // [{ node: 'model.film_ratings', change: 'modified', columns: [{ column: 'rating_category', change: 'modified',
 * //    added: [{ node: 'model.stg_films', column: 'rating', kind: 'derived' }], removed: [] }], filters: { added: [], removed: [] } }]
 * ```
 */
export function diffLineage(state: LineageManifest, current: LineageManifest): ModelLineageChange[] {
  const before = models(state)
  const after = models(current)
  const changes: ModelLineageChange[] = []
  for (const id of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const old = before.get(id)
    const now = after.get(id)
    const names = [...new Set([...Object.keys(old?.columns ?? {}), ...Object.keys(now?.columns ?? {})])]
    const columns: ModelLineageChange['columns'] = []
    for (const column of names) {
      const a = old?.columns[column]
      const b = now?.columns[column]
      const { added, removed } = difference(a?.depends_on ?? [], b?.depends_on ?? [])
      const change = a === undefined ? 'added' : b === undefined ? 'removed' : added.length || removed.length ? 'modified' : undefined
      if (change) columns.push({ column, change, added, removed })
    }
    const filters = difference(old?.depends_on_columns ?? [], now?.depends_on_columns ?? [])
    if (!old || !now || columns.length || filters.added.length || filters.removed.length) {
      changes.push({ node: id, change: !old ? 'added' : !now ? 'removed' : 'modified', columns, filters })
    }
  }
  return changes
}
