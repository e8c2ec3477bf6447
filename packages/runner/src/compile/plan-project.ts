import type { Project } from '../define/project.ts'
import { buildGraph, type ModelGraph } from '../graph/build-graph.ts'
import { selectNodes, type SelectOptions } from '../select/select-nodes.ts'
import type { SourceLoaders } from '../select/source-loaders.ts'
import { compileProject, type BuildTarget, type CompiledProject } from './compile-project.ts'

/** Everything known before touching the warehouse: the graph, compiled SQL and the selected ids. */
export interface ProjectPlan {
  project: Project
  target: BuildTarget
  graph: ModelGraph
  compiled: CompiledProject
  /** Selected node ids (sources included when selected), in dependency order. */
  selected: string[]
  /** The configured sources (`selection.sources`): which loads each source relation (manifest `loader`). */
  sources?: SourceLoaders
}

/**
 * Graph → compile → select, with no database: what `compile`, `ls` and `build` share.
 *
 * ```ts
 * const plan = planProject(project, { name: 'prod', schema: 'analytics' }, { select: ['+film_ratings'] })
 * plan.selected // ['source.raw.actors', …, 'model.film_ratings']
 * ```
 */
export function planProject(project: Project, target: BuildTarget, selection: SelectOptions = {}): ProjectPlan {
  const graph = buildGraph(project)
  const compiled = compileProject(project, graph, target)
  const selected = selectNodes(graph, selection)
  return { project, target, graph, compiled, selected, ...(selection.sources ? { sources: selection.sources } : {}) }
}
