import {
  AliasNode,
  IdentifierNode,
  ReferenceNode,
  SelectAllNode,
  SelectQueryNode,
  TableNode,
  type AggregateFunctionNode,
  type CaseNode,
  type CastNode,
  type ColumnNode,
  type OperationNode,
  type OrderByNode,
  type RawNode,
} from 'kysely'
import { uniqueDependencies, type ColumnDependency, type ColumnEdgeVia, type FilterClause, type FilterDependency } from './column-dependency.ts'
import { derivedInput, nodeInput, QueryScope, type ScopeInput } from './query-scope.ts'

/** A parent the query reads by a `from` key: its node id and, when known, its columns. */
export interface LineageBase {
  node: string
  names: readonly string[] | undefined
}

/** How the expression being walked treats its inputs: still a pass-through (`direct`) or computed, and where. */
interface WalkContext {
  direct: boolean
  via?: ColumnEdgeVia
}

/** The output columns a GROUP BY / ORDER BY may name, and whether they win over input columns (ORDER BY) or not (GROUP BY). */
interface OutputNames {
  columns: ReadonlyMap<string, ColumnDependency[]>
  first: boolean
}

/** Walk contexts, shared (the walk visits every node of every model: no allocation per node). */
const derived: WalkContext = { direct: false }
const under: Record<ColumnEdgeVia, WalkContext> = {
  aggregate: { direct: false, via: 'aggregate' },
  window: { direct: false, via: 'window' },
  condition: { direct: false, via: 'condition' },
}

/** A SQL literal (`'Unrated'`, `0`, `4.5`, `true`, `null`, optionally `::type`): raw text that reads no column. */
const literal = /^\s*(?:'(?:[^']|'')*'|[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?|true|false|null)(?:\s*::\s*"?[a-z_][a-z0-9_ ]*"?(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])?)?\s*$/i

/**
 * Walks one model's Kysely operation-node tree (`query.toOperationNode()`) and maps each output
 * column to the parent columns it reads. A reference, alias, cast or `sql.ref` passes a column
 * through (`direct`); anything around it computes (`derived`, with `via` aggregate, window or
 * condition where that applies). WHERE, ON, GROUP BY, HAVING, ORDER BY and DISTINCT ON columns land
 * in {@link filters}. CTEs and subqueries are resolved inside the query, so edges always name the
 * model's parents. A raw `sql` fragment with no reference inside, and a reference nothing in scope
 * explains, is `opaque`.
 *
 * ```ts
 * // db.selectFrom('films as f').where('f.rating', '=', 'R').select(['f.title', eb.fn.avg('f.price').as('p')])
 * visitor.query(tree) // title ← stg_films.title direct; p ← stg_films.price derived via aggregate
 * visitor.filters     // [{ node: 'model.stg_films', column: 'rating', kind: 'filter', clause: 'where' }]
 * ```
 */
export class QueryLineageVisitor {
  readonly filters: FilterDependency[] = []

  /** `model` is the node the query belongs to (opaque dependencies name it); `bases` maps `from` keys to parents. */
  constructor(
    private readonly model: string,
    private readonly bases: ReadonlyMap<string, LineageBase>,
  ) {}

  /** Output columns of a select (and of the selects it is unioned with), each with its parent columns. */
  query(node: SelectQueryNode, parent?: QueryScope): Map<string, ColumnDependency[]> {
    const scope = new QueryScope(parent)
    for (const cte of node.with?.expressions ?? []) {
      const name = cte.name.table.table.identifier.name
      const inner = SelectQueryNode.is(cte.expression) ? this.query(cte.expression, scope) : new Map<string, ColumnDependency[]>()
      const renames = cte.name.columns?.map((c) => c.column.name)
      scope.ctes.set(name, renames ? new Map([...inner.values()].map((deps, i) => [renames[i] ?? `?column${i}?`, deps])) : inner)
    }
    for (const from of node.from?.froms ?? []) scope.inputs.push(this.#input(from, scope))
    for (const join of node.joins ?? []) scope.inputs.push(this.#input(join.table, scope))
    for (const join of node.joins ?? []) if (join.on) this.#filter(join.on.on, scope, 'join')
    const columns = new Map<string, ColumnDependency[]>()
    for (const selection of node.selections ?? []) this.#select(selection.selection, scope, columns)
    if (node.where) this.#filter(node.where.where, scope, 'where')
    for (const item of node.groupBy?.items ?? []) this.#filter(item.groupBy, scope, 'group_by', { columns, first: false })
    if (node.having) this.#filter(node.having.having, scope, 'having', { columns, first: false })
    for (const item of node.orderBy?.items ?? []) this.#filter(item.orderBy, scope, 'order_by', { columns, first: true })
    for (const item of node.distinctOn ?? []) this.#filter(item, scope, 'distinct', { columns, first: false })
    for (const operation of node.setOperations ?? []) {
      if (!SelectQueryNode.is(operation.expression)) continue
      const other = [...this.query(operation.expression, parent).values()]
      let i = 0
      for (const [name, deps] of columns) columns.set(name, uniqueDependencies([...deps, ...(other[i++] ?? [])]))
    }
    return columns
  }

  #input(node: OperationNode, scope: QueryScope): ScopeInput {
    const alias = AliasNode.is(node) && IdentifierNode.is(node.alias) ? node.alias.name : undefined
    const target = AliasNode.is(node) ? node.node : node
    if (TableNode.is(target)) {
      const name = target.table.identifier.name
      const declared = target.table.schema === undefined
      const cte = declared ? scope.cte(name) : undefined
      if (cte) return derivedInput(alias ?? name, cte)
      const base = declared ? this.bases.get(name) : undefined
      if (base) return nodeInput(alias ?? name, base.node, base.names)
      return { alias: alias ?? name, names: [], resolve: () => [] }
    }
    if (SelectQueryNode.is(target)) return derivedInput(alias ?? '', this.query(target, scope))
    const opaque = this.#opaque(target)
    return { alias: alias ?? '', names: undefined, resolve: () => [opaque] }
  }

  #select(selection: OperationNode, scope: QueryScope, columns: Map<string, ColumnDependency[]>): void {
    if (SelectAllNode.is(selection)) {
      for (const input of scope.inputs) this.#expandAll(input, columns)
      return
    }
    if (ReferenceNode.is(selection) && SelectAllNode.is(selection.column)) {
      const input = scope.find(selection.table?.table.identifier.name, '*')
      if (input) this.#expandAll(input, columns)
      return
    }
    const deps: ColumnDependency[] = []
    this.#walk(selection, scope, { direct: true }, deps)
    columns.set(outputName(selection), uniqueDependencies(deps))
  }

  /** `select *` / `select t.*`: every known column of the input; `*` itself when its columns are unknown. */
  #expandAll(input: ScopeInput, columns: Map<string, ColumnDependency[]>): void {
    for (const name of input.names ?? ['*']) columns.set(name, input.resolve(name))
  }

  #filter(node: OperationNode, scope: QueryScope, clause: FilterClause, outputs?: OutputNames): void {
    const deps: ColumnDependency[] = []
    this.#walk(node, scope, { direct: false }, deps, outputs)
    for (const dep of deps) if (dep.kind !== 'opaque') this.filters.push({ node: dep.node, column: dep.column, kind: 'filter', clause })
  }

  #walk(node: OperationNode, scope: QueryScope, context: WalkContext, out: ColumnDependency[], outputs?: OutputNames): void {
    const computed = context.via ? under[context.via] : derived
    switch (node.kind) {
      case 'ReferenceNode': {
        const ref = node as ReferenceNode
        if (!SelectAllNode.is(ref.column)) this.#reference(ref.table?.table.identifier.name, ref.column.column.name, scope, context, out, outputs)
        return
      }
      case 'ColumnNode':
        return this.#reference(undefined, (node as ColumnNode).column.name, scope, context, out, outputs)
      case 'AliasNode':
        return this.#walk((node as AliasNode).node, scope, context, out, outputs)
      case 'ParensNode':
        return this.#walk((node as unknown as { node: OperationNode }).node, scope, context, out, outputs)
      case 'CastNode':
        return this.#walk((node as CastNode).expression, scope, context, out, outputs)
      case 'SelectQueryNode': {
        const first = [...this.query(node as SelectQueryNode, scope).values()][0] ?? []
        for (const dep of first) out.push(compose(dep, computed))
        return
      }
      case 'AggregateFunctionNode': {
        const agg = node as AggregateFunctionNode
        for (const item of agg.aggregated) this.#walk(item, scope, under.aggregate, out)
        this.#walkOrderBy(agg.orderBy, scope, under.aggregate, out)
        this.#walkOrderBy(agg.withinGroup, scope, under.aggregate, out)
        if (agg.filter) this.#walk(agg.filter.where, scope, under.condition, out)
        for (const item of agg.over?.partitionBy?.items ?? []) this.#walk(item.partitionBy, scope, under.window, out)
        this.#walkOrderBy(agg.over?.orderBy, scope, under.window, out)
        return
      }
      case 'CaseNode': {
        const node_ = node as CaseNode
        if (node_.value) this.#walk(node_.value, scope, under.condition, out)
        for (const when of node_.when ?? []) {
          this.#walk(when.condition, scope, under.condition, out)
          if (when.result) this.#walk(when.result, scope, computed, out)
        }
        if (node_.else) this.#walk(node_.else, scope, computed, out)
        return
      }
      case 'OrderByNode':
        return this.#walkOrderBy(node as OrderByNode, scope, context, out, outputs)
      case 'RawNode': {
        const raw = node as RawNode
        // sql.ref('f.title') / sql`${eb.ref('f.title')}`: nothing but the reference
        if (raw.parameters.length === 1 && raw.sqlFragments.every((f) => f.trim() === '')) return this.#walk(raw.parameters[0]!, scope, context, out, outputs)
        if (!containsReference(raw)) {
          if (!literal.test(raw.sqlFragments.join(''))) out.push(this.#opaque(raw))
          return
        }
        for (const parameter of raw.parameters) this.#walk(parameter, scope, computed, out, outputs)
        return
      }
      case 'ValueNode':
      case 'ValueListNode':
      case 'PrimitiveValueListNode':
      case 'IdentifierNode':
      case 'DataTypeNode':
      case 'OperatorNode':
      case 'DefaultValueNode':
        return
      default:
        for (const child of childNodes(node)) this.#walk(child, scope, computed, out, outputs)
    }
  }

  #walkOrderBy(node: OrderByNode | undefined, scope: QueryScope, context: WalkContext, out: ColumnDependency[], outputs?: OutputNames): void {
    for (const item of node?.items ?? []) this.#walk(item.orderBy, scope, context, out, outputs)
  }

  #reference(table: string | undefined, column: string, scope: QueryScope, context: WalkContext, out: ColumnDependency[], outputs?: OutputNames): void {
    const output = table === undefined ? outputs?.columns.get(column) : undefined
    const input = output && outputs?.first ? undefined : scope.find(table, column)
    const deps = input ? input.resolve(column) : output
    if (!deps) {
      out.push({ node: this.model, column: null, kind: 'opaque', sql: table === undefined ? column : `${table}.${column}` })
      return
    }
    for (const dep of deps) out.push(compose(dep, context))
  }

  #opaque(node: OperationNode): ColumnDependency {
    const text = node.kind === 'RawNode' ? (node as RawNode).sqlFragments.join('?').trim() : node.kind
    return { node: this.model, column: null, kind: 'opaque', sql: text }
  }
}

/** An input seen through `context`: still `direct` only when both are; the innermost `via` kept for a derived edge. */
function compose(dep: ColumnDependency, context: WalkContext): ColumnDependency {
  if (dep.kind === 'opaque') return dep
  if (context.direct && dep.kind === 'direct') return dep
  const via = context.via ?? dep.via
  return { node: dep.node, column: dep.column, kind: 'derived', ...(via ? { via } : {}) }
}

/** The name a selection gets: its alias, else the column it reads. */
function outputName(selection: OperationNode): string {
  if (AliasNode.is(selection) && IdentifierNode.is(selection.alias)) return selection.alias.name
  if (ReferenceNode.is(selection) && !SelectAllNode.is(selection.column)) return selection.column.column.name
  if (selection.kind === 'ColumnNode') return (selection as ColumnNode).column.name
  return '?column?'
}

/** The operation nodes directly inside `node` (in its fields and their arrays). */
function childNodes(node: OperationNode): OperationNode[] {
  const children: OperationNode[] = []
  for (const value of Object.values(node)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== null && typeof item === 'object' && typeof (item as OperationNode).kind === 'string') children.push(item as OperationNode)
    }
  }
  return children
}

/** Whether a column reference (or a subquery) sits anywhere inside `node`. */
function containsReference(node: OperationNode): boolean {
  if (node.kind === 'ReferenceNode' || node.kind === 'ColumnNode' || node.kind === 'SelectQueryNode') return true
  if (node.kind === 'ValueNode') return false
  return childNodes(node).some(containsReference)
}
