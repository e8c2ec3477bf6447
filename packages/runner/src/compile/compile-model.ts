import { CommonTableExpressionNameNode, CommonTableExpressionNode, type OperationNode, type RootOperationNode, type SelectQueryNode } from 'kysely'
import type { ModelRelation } from '../define/relation.ts'
import { compileSelect } from './compile-select.ts'
import type { TableTarget } from './resolve-tables-transformer.ts'

export { compileOnlyDb } from './compile-select.ts'

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
  /** The model's own query tree, for column lineage. */
  query: SelectQueryNode
}

/**
 * Compiles one model's query once ({@link compileSelect}): its declared tables become their real
 * relations, ephemeral dependencies become CTEs, values become literals.
 *
 * ```ts
 * compileModel(stgFilms, { locate: () => ({ schema: 'raw', name: 'films' }), ephemeralTrees: new Map() }).sql
 * // select "film_id", "title" from "raw"."films" as "films"
 * ```
 */
export function compileModel(model: ModelRelation<any, any>, inputs: CompileInputs): CompiledModelQuery {
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
  return compileSelect({ subject: `Model ${model.name}`, query: model.query, targets, ctes })
}
