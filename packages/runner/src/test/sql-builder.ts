import {
  createQueryId,
  OperationNodeTransformer,
  PostgresQueryCompiler,
  PrimitiveValueListNode,
  ValueListNode,
  ValueNode,
  sql,
  type Compilable,
  type RawBuilder,
  type RootOperationNode,
} from 'kysely'
import { compileOnlyDb } from '../compile/compile-model.ts'
import type { TableLocation } from './compiled-test.ts'

/** The never-connecting Kysely instance test SQL is built with (the models' compile-only one). */
export const testSqlBuilder = compileOnlyDb

/** `"schema"."name"` as a Kysely expression: `tableOf({ schema: 'raw', name: 'films' }).as('t')`. */
export function tableOf(location: TableLocation): RawBuilder<unknown> {
  return sql.id(location.schema, location.name)
}

/** A statement ready for `client.query(text, values)`. */
export interface Statement {
  text: string
  values: unknown[]
}

/** Compiles a Kysely builder to `{ text, values }` (values as `$1`, `$2`, … parameters). */
export function toStatement(query: Compilable): Statement {
  const compiled = query.compile()
  return { text: compiled.sql, values: [...compiled.parameters] }
}

/** Rewrites every value as a literal so the SQL can be pasted into psql (values escaped by Kysely). */
class InlineValuesTransformer extends OperationNodeTransformer {
  protected override transformValue(node: ValueNode): ValueNode {
    return ValueNode.createImmediate(node.value)
  }
  protected override transformPrimitiveValueList(node: PrimitiveValueListNode): PrimitiveValueListNode {
    return ValueListNode.create(node.values.map((v) => ValueNode.createImmediate(v))) as unknown as PrimitiveValueListNode
  }
}

/**
 * The SQL of a builder with every value inlined as an escaped literal, for people to run
 * (the "reproduce" SQL of a failing test). The tool itself executes the parameterised form.
 *
 * ```ts
 * toInlineSql(testSqlBuilder.selectFrom('t').selectAll().where('rating', '=', "R'X"))
 * // select * from "t" where "rating" = 'R''X'
 * ```
 */
export function toInlineSql(query: { toOperationNode(): RootOperationNode }): string {
  const node = new InlineValuesTransformer().transformNode(query.toOperationNode())
  return new PostgresQueryCompiler().compileQuery(node, createQueryId()).sql
}
