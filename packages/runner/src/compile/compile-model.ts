import {
  CommonTableExpressionNameNode,
  CommonTableExpressionNode,
  createQueryId,
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SelectQueryNode,
  WithNode,
  type OperationNode,
  type RootOperationNode,
} from 'kysely'
import { EltError, ExitCode } from '@elt/core'
import type { ModelRelation } from '../define/relation.ts'
import { collectCteNames, ResolveTablesTransformer, type TableTarget } from './resolve-tables-transformer.ts'

/** A Kysely instance that compiles Postgres SQL and never connects. */
export const compileOnlyDb = new Kysely<any>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
})

const compiler = new PostgresQueryCompiler()

/** The name an ephemeral model's CTE gets in the models that read it. */
export const ephemeralCteName = (model: string) => `__ephemeral_${model}`

/** What a model's dependencies resolve to when compiling it. */
export interface CompileInputs {
  /** Dependency id → where it lives. */
  locate: (dependencyId: string) => TableTarget
  /** Resolved query trees of ephemeral models, by id (inlined as CTEs). */
  ephemeralTrees: ReadonlyMap<string, OperationNode>
}

export interface CompiledModelQuery {
  sql: string
  /** The resolved tree (kept to inline ephemeral models into their dependents). */
  tree: RootOperationNode
}

/**
 * Compiles one model's query once: builds it on a compile-only Kysely, rewrites the tables it
 * declared to their real relations, inlines ephemeral dependencies as CTEs and values as literals.
 *
 * ```ts
 * compileModel(stgFilms, { locate: () => ({ schema: 'raw', name: 'films' }), ephemeralTrees: new Map() }).sql
 * // select "film_id", "title" from "raw"."films" as "films"
 * ```
 */
export function compileModel(model: ModelRelation<any, any>, inputs: CompileInputs): CompiledModelQuery {
  let built: unknown
  try {
    built = model.query(compileOnlyDb)
  } catch (error) {
    throw new EltError(`Model ${model.name}'s query threw while being built: ${error instanceof Error ? error.message : String(error)}`, {
      hint: 'Fix the query function; it must return a Kysely select query.',
      exitCode: ExitCode.usage,
      cause: error,
    })
  }
  const source = built as { toOperationNode?: () => OperationNode }
  if (typeof source?.toOperationNode !== 'function') {
    throw new EltError(`Model ${model.name}'s query did not return a Kysely query builder.`, {
      hint: 'Return the builder, e.g. `(db) => db.selectFrom(\'films\').select([...])`, without awaiting or executing it.',
      exitCode: ExitCode.usage,
    })
  }
  const root = source.toOperationNode()
  if (!SelectQueryNode.is(root)) {
    throw new EltError(`Model ${model.name}'s query is a ${root.kind}, not a select.`, { exitCode: ExitCode.usage })
  }
  const targets = new Map<string, TableTarget>()
  const ctes: CommonTableExpressionNode[] = []
  for (const [key, dep] of Object.entries(model.from as Record<string, { id: string }>)) {
    const ephemeral = inputs.ephemeralTrees.get(dep.id)
    if (ephemeral) {
      const cte = ephemeralCteName(dep.id.replace(/^model\./, ''))
      targets.set(key, { cte })
      if (!ctes.some((c) => c.name.table.table.identifier.name === cte)) {
        ctes.push(CommonTableExpressionNode.create(CommonTableExpressionNameNode.create(cte), ephemeral))
      }
    } else {
      targets.set(key, inputs.locate(dep.id))
    }
  }
  let tree = new ResolveTablesTransformer(model.name, targets, collectCteNames(root)).transformNode(root) as SelectQueryNode
  if (ctes.length) {
    const existing = tree.with?.expressions ?? []
    const [first, ...rest] = [...ctes, ...existing]
    let withNode = WithNode.create(first!, tree.with?.recursive ? { recursive: true } : undefined)
    for (const cte of rest) withNode = WithNode.cloneWithExpression(withNode, cte)
    tree = { ...tree, with: withNode }
  }
  const compiled = compiler.compileQuery(tree, createQueryId())
  if (compiled.parameters.length) {
    throw new EltError(`Model ${model.name}'s compiled SQL still has ${compiled.parameters.length} bind parameter(s).`, {
      hint: 'Use plain literal values (numbers, strings, booleans, dates) in model queries.',
      exitCode: ExitCode.usage,
    })
  }
  return { sql: compiled.sql, tree }
}
