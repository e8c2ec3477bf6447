import {
  AliasNode,
  IdentifierNode,
  OperationNodeTransformer,
  TableNode,
  ValueListNode,
  ValueNode,
  type CommonTableExpressionNameNode,
  type FromNode,
  type JoinNode,
  type OperationNode,
  type PrimitiveValueListNode,
} from 'kysely'
import { EltError, ExitCode } from '@elt/core'

/** Where a declared `from` key really lives: a schema-qualified relation or an ephemeral's CTE. */
export type TableTarget = { schema: string; name: string } | { cte: string }

/**
 * Rewrites a model's query tree for the warehouse:
 * - each table in FROM/JOIN named like a `from` key becomes the dependency's real relation,
 *   aliased back to the key so column references keep working
 *   (`from "films"` → `from "raw"."films" as "films"`);
 * - a table that is neither declared nor a CTE of the query is an error naming the query's owner and the table;
 * - every value becomes an inline literal (views cannot take bind parameters).
 */
export class ResolveTablesTransformer extends OperationNodeTransformer {
  readonly #subject: string
  readonly #targets: ReadonlyMap<string, TableTarget>
  readonly #cteNames: ReadonlySet<string>

  /** `subject` names the query's owner in errors: `Model film_ratings`, `Custom test every_film_rated`. */
  constructor(subject: string, targets: ReadonlyMap<string, TableTarget>, cteNames: ReadonlySet<string>) {
    super()
    this.#subject = subject
    this.#targets = targets
    this.#cteNames = cteNames
  }

  protected override transformFrom(node: FromNode): FromNode {
    const transformed = super.transformFrom(node)
    return { ...transformed, froms: transformed.froms.map((from) => this.#resolve(from)) }
  }

  protected override transformJoin(node: JoinNode): JoinNode {
    const transformed = super.transformJoin(node)
    return { ...transformed, table: this.#resolve(transformed.table) }
  }

  protected override transformValue(node: ValueNode): ValueNode {
    return node.immediate ? node : ValueNode.createImmediate(node.value)
  }

  protected override transformPrimitiveValueList(node: PrimitiveValueListNode): PrimitiveValueListNode {
    return ValueListNode.create(node.values.map((v) => ValueNode.createImmediate(v))) as unknown as PrimitiveValueListNode
  }

  #resolve(node: OperationNode): OperationNode {
    if (TableNode.is(node) && !node.table.schema && this.#cteNames.has(node.table.identifier.name)) return node
    if (TableNode.is(node)) return AliasNode.create(this.#table(node), IdentifierNode.create(node.table.identifier.name))
    if (AliasNode.is(node) && TableNode.is(node.node)) return AliasNode.create(this.#table(node.node), node.alias)
    return node
  }

  #table(node: TableNode): TableNode {
    const name = node.table.identifier.name
    const schema = node.table.schema?.name
    if (schema === undefined && this.#cteNames.has(name)) return node
    const target = schema === undefined ? this.#targets.get(name) : undefined
    if (!target) {
      const table = schema === undefined ? name : `${schema}.${name}`
      const declared = [...this.#targets.keys()].join(', ') || 'nothing'
      throw new EltError(`${this.#subject} reads the table "${table}", which it did not declare in \`from\` (it declares: ${declared}).`, {
        hint: `Import the model or source that provides "${table}", add it to \`from\` and read it by its key.`,
        exitCode: ExitCode.usage,
      })
    }
    return 'cte' in target ? TableNode.create(target.cte) : TableNode.createWithSchema(target.schema, target.name)
  }
}

/** Names of every CTE declared anywhere in the tree (they are legal table names in FROM). A plain walk, no copies. */
export function collectCteNames(node: OperationNode): Set<string> {
  const names = new Set<string>()
  const stack: unknown[] = [node]
  while (stack.length) {
    const current = stack.pop()
    if (Array.isArray(current)) {
      stack.push(...current)
    } else if (current !== null && typeof current === 'object') {
      const kind = (current as OperationNode).kind
      if (kind === 'CommonTableExpressionNameNode') names.add((current as CommonTableExpressionNameNode).table.table.identifier.name)
      else if (kind === 'ValueNode') continue
      for (const value of Object.values(current)) if (value !== null && typeof value === 'object') stack.push(value)
    }
  }
  return names
}
