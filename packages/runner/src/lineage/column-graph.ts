import type { ColumnDependency, FilterClause, FilterDependency, ProjectLineage } from './column-dependency.ts'

/** A column of a node: `{ node: 'source.raw.films', column: 'user_rating' }`. */
export interface ColumnRef {
  node: string
  column: string
}

/** A model that reads a column: through one of its columns (`direct`/`derived`), or to filter its rows (`filter`, `column` null). */
export interface ColumnUse {
  node: string
  column: string | null
  kind: 'direct' | 'derived' | 'filter'
  via?: string
  clause?: FilterClause
}

/** What a column graph is built from: each model's columns with their dependencies and its filters; each node's known columns. */
export interface LineageEntry {
  node: string
  columns: Iterable<[string, readonly ColumnDependency[] | undefined]>
  filters: readonly FilterDependency[]
}

const key = (node: string, column: string) => `${node}\u0000${column}`

/**
 * Column lineage as a graph both ways: a column's inputs ({@link up}) and the models that use it
 * ({@link down}), over the whole project. Built from a computed {@link ProjectLineage} or from a
 * manifest's nodes ({@link ColumnGraph.fromManifest}), so the runner, the CLI, the API and the
 * dashboard answer the same way.
 *
 * ```ts
 * const graph = ColumnGraph.fromLineage(lineage)
 * graph.up('model.film_ratings', 'title')          // [{ node: 'model.stg_films', column: 'title', kind: 'direct' }]
 * graph.down('source.raw.films', 'user_rating')    // [{ node: 'model.stg_films', column: 'user_rating', kind: 'direct' }, …]
 * ```
 */
export class ColumnGraph {
  readonly #up = new Map<string, ColumnDependency[]>()
  readonly #down = new Map<string, ColumnUse[]>()
  readonly #columns = new Map<string, string[]>()
  readonly #filterUsers = new Map<string, FilterDependency[]>()

  constructor(entries: Iterable<LineageEntry>, knownColumns: Iterable<[string, readonly string[]]> = []) {
    for (const [node, names] of knownColumns) this.#columns.set(node, [...names])
    for (const entry of entries) {
      const names: string[] = []
      for (const [column, deps] of entry.columns) {
        names.push(column)
        if (!deps) continue
        this.#up.set(key(entry.node, column), [...deps])
        for (const dep of deps) {
          if (dep.kind === 'opaque') continue
          this.#use(dep.node, dep.column, { node: entry.node, column, kind: dep.kind, ...(dep.via ? { via: dep.via } : {}) })
        }
      }
      if (names.length) this.#columns.set(entry.node, names)
      this.#filterUsers.set(entry.node, [...entry.filters])
      for (const filter of entry.filters) this.#use(filter.node, filter.column, { node: entry.node, column: null, kind: 'filter', clause: filter.clause })
    }
  }

  /** From a computed lineage (sources' columns from codegen, models' from their queries). */
  static fromLineage(lineage: ProjectLineage): ColumnGraph {
    const entries = [...lineage.models].map(([node, model]) => ({ node, columns: model.columns, filters: model.filters }))
    return new ColumnGraph(entries, lineage.sourceColumns)
  }

  /** From a manifest's nodes (`columns.<col>.depends_on`, `depends_on_columns`). */
  static fromManifest(manifest: { nodes: Record<string, { id: string; kind: string; columns: Record<string, { depends_on?: ColumnDependency[] }>; depends_on_columns?: FilterDependency[] }> }): ColumnGraph {
    const entries: LineageEntry[] = []
    const known: [string, string[]][] = []
    for (const node of Object.values(manifest.nodes)) {
      if (node.kind === 'model') entries.push({ node: node.id, columns: Object.entries(node.columns).map(([c, spec]) => [c, spec.depends_on]), filters: node.depends_on_columns ?? [] })
      else if (node.kind === 'source') known.push([node.id, Object.keys(node.columns)])
    }
    return new ColumnGraph(entries, known)
  }

  #use(node: string, column: string, use: ColumnUse): void {
    const list = this.#down.get(key(node, column)) ?? []
    list.push(use)
    this.#down.set(key(node, column), list)
  }

  /** The columns a node is known to have, in order (empty when unknown). */
  columnsOf(node: string): readonly string[] {
    return this.#columns.get(node) ?? []
  }

  /** Whether the node is known to have this column (or is not known at all, when `strict` is false). */
  has(node: string, column: string): boolean {
    return this.#columns.get(node)?.includes(column) ?? false
  }

  /** A model column's inputs (empty for a source column). */
  up(node: string, column: string): readonly ColumnDependency[] {
    return this.#up.get(key(node, column)) ?? []
  }

  /** The model columns computed from this column, and the models it filters. */
  down(node: string, column: string): readonly ColumnUse[] {
    return this.#down.get(key(node, column)) ?? []
  }

  /** A model's filter columns. */
  filtersOf(node: string): readonly FilterDependency[] {
    return this.#filterUsers.get(node) ?? []
  }

  /** Every node with known columns. */
  nodes(): string[] {
    return [...this.#columns.keys()]
  }
}
