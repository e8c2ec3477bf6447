import type { Project } from '../define/project.ts'
import { buildGraph, type ModelGraph } from '../graph/build-graph.ts'
import { selectNodes, type SelectOptions } from '../select/select-nodes.ts'
import type { SourceLoaders } from '../select/source-loaders.ts'
import type { ProjectLineage } from '../lineage/column-dependency.ts'
import { computeLineage } from '../lineage/compute-lineage.ts'
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
  /** Column lineage of every model (manifest `depends_on` of columns, `column:` selectors). */
  lineage: ProjectLineage
}

/**
 * Graph → compile → column lineage → select, with no database: what `compile`, `ls` and `build` share.
 *
 * ```ts
 * const plan = planProject(project, { name: 'prod', schema: 'analytics' }, { select: ['+film_ratings'] })
 * plan.selected // ['source.raw.actors', …, 'model.film_ratings']
 * ```
 */
export function planProject(project: Project, target: BuildTarget, selection: SelectOptions = {}): ProjectPlan {
  const graph = buildGraph(project)
  const compiled = compileProject(project, graph, target)
  const lineage = computeLineage(project, graph, selection.sourceColumns, (id) => compiled.get(id)?.query)
  const selected = selectNodes(graph, { ...selection, lineage })
  return { project, target, graph, compiled, selected, lineage, ...(selection.sources ? { sources: selection.sources } : {}) }
}
