import type { ColumnDependency } from './column-dependency.ts'

/**
 * A relation a query reads, as lineage sees it: a parent node (`from` key → node id; each of its
 * columns is itself) or a relation of the same query (a CTE, a subquery; each column maps to the
 * parent columns it already resolved to).
 */
export interface ScopeInput {
  /** The name the query reads it by (`f` in `films as f`). */
  alias: string
  /** Its column names in order; undefined when unknown (a source without codegen's column list). */
  names: readonly string[] | undefined
  /** The parent-node columns a column of it stands for. */
  resolve(column: string): ColumnDependency[]
}

/** A parent node read by the query: `resolve('title')` → `[{ node: 'model.stg_films', column: 'title', kind: 'direct' }]`. */
export function nodeInput(alias: string, node: string, names: readonly string[] | undefined): ScopeInput {
  return { alias, names, resolve: (column) => [{ node, column, kind: 'direct' }] }
}

/** A relation defined inside the query (CTE, subquery) with its already-resolved columns. */
export function derivedInput(alias: string, columns: ReadonlyMap<string, ColumnDependency[]>): ScopeInput {
  return { alias, names: [...columns.keys()], resolve: (column) => columns.get(column) ?? [] }
}

/**
 * The relations visible at one level of a query: its FROM and JOIN inputs, its CTEs, and the
 * enclosing level's (correlated subqueries see their outer query).
 */
export class QueryScope {
  readonly inputs: ScopeInput[] = []
  readonly ctes = new Map<string, ReadonlyMap<string, ColumnDependency[]>>()

  constructor(readonly parent?: QueryScope) {}

  /** The CTE `name` visible here (this level's first, then enclosing ones). */
  cte(name: string): ReadonlyMap<string, ColumnDependency[]> | undefined {
    return this.ctes.get(name) ?? this.parent?.cte(name)
  }

  /**
   * The input a column reference names: `table` by alias (here, then outward); without a table, the
   * first input here whose known columns hold `column` (else the one input whose columns are unknown),
   * then outward. Undefined when nothing fits.
   */
  find(table: string | undefined, column: string): ScopeInput | undefined {
    if (table !== undefined) return this.inputs.find((input) => input.alias === table) ?? this.parent?.find(table, column)
    const holding = this.inputs.filter((input) => input.names?.includes(column))
    if (holding.length > 0) return holding[0]
    const unknown = this.inputs.filter((input) => input.names === undefined)
    if (unknown.length === 1) return unknown[0]
    return this.parent?.find(undefined, column)
  }
}
