import type { OperationNode, SelectQueryNode } from 'kysely'
import { EltError, ExitCode, stateSchema } from '@elt/core'
import type { Project } from '../define/project.ts'
import { topologicalOrder, type ModelGraph } from '../graph/build-graph.ts'
import { compileModel } from './compile-model.ts'

/** Where models are built: `analytics` for prod, `analytics_<user>` for dev. */
export interface BuildTarget {
  /** Target name as the user chose it (`prod`, `dev`). */
  name: string
  /** Schema the models are written to. */
  schema: string
}

export interface CompiledNode {
  id: string
  /** Schema and name of the relation in the warehouse (an ephemeral model has none it owns; its name is listed anyway). */
  relation: { schema: string; name: string }
  /** Compiled SQL of a model's select; undefined for sources. */
  sql?: string
  /** A model's own query tree (before its tables are resolved), which column lineage walks. */
  query?: SelectQueryNode
}

/** Every node of the project with its compiled SQL for one target. */
export type CompiledProject = Map<string, CompiledNode>

/**
 * Compiles every model once, in dependency order, for `target`. Sources resolve to their
 * raw tables, models to `target.schema`, ephemeral models to CTEs in their dependents.
 * Models never write into a source schema: a target schema that holds sources is refused.
 *
 * ```ts
 * compileProject(project, graph, { name: 'prod', schema: 'analytics' }).get('model.stg_films')?.sql
 * // select "film_id", "title" from "raw"."films" as "films"
 * ```
 */
export function compileProject(project: Project, graph: ModelGraph, target: BuildTarget): CompiledProject {
  const sourceSchemas = new Set([...project.sources.values()].map((s) => s.schema))
  if (target.schema === stateSchema || target.schema === `${stateSchema}_audit`) {
    throw new EltError(`The ${target.name} target writes to schema "${target.schema}", which holds the tool's own state.`, {
      hint: 'Choose another schema for this target in elt.config.ts (e.g. analytics).',
      exitCode: ExitCode.usage,
    })
  }
  if (sourceSchemas.has(target.schema)) {
    throw new EltError(`The ${target.name} target writes to schema "${target.schema}", which holds raw source tables.`, {
      hint: 'Models never write into a source schema: choose another schema for this target in elt.config.ts.',
      exitCode: ExitCode.usage,
    })
  }
  const compiled: CompiledProject = new Map()
  for (const source of project.sources.values()) {
    compiled.set(source.id, { id: source.id, relation: { schema: source.schema, name: source.name } })
  }
  const ephemeralTrees = new Map<string, OperationNode>()
  const locate = (id: string) => {
    const node = compiled.get(id)
    if (!node) throw new Error(`internal: ${id} compiled after its dependents`)
    return node.relation
  }
  for (const id of topologicalOrder(graph)) {
    const model = project.models.get(id)
    if (!model) continue
    const { sql, tree, query } = compileModel(model, { locate, ephemeralTrees })
    if (model.materialized === 'ephemeral') ephemeralTrees.set(id, tree)
    compiled.set(id, { id, relation: { schema: target.schema, name: model.name }, sql, query })
  }
  return compiled
}
