import { EltError, ExitCode, globMatcher } from '@elt/core'
import type { AnyRelation } from '../define/relation.ts'
import { reachable, topologicalOrder, type ModelGraph } from '../graph/build-graph.ts'
import { parseSelectors, type SelectionCriterion } from './parse-selector.ts'
import { sourceMatches } from './source-matches.ts'
import type { SourceLoaders } from './source-loaders.ts'
import type { ProjectLineage } from '../lineage/column-dependency.ts'
import { ColumnGraph } from '../lineage/column-graph.ts'
import type { SourceColumns } from '../lineage/compute-lineage.ts'
import { columnSelection } from './column-selection.ts'
import { sourceStatusMatches } from './source-status.ts'

/** What a selector method may consult beyond the node: the configured sources. */
export interface SelectContext {
  sources?: SourceLoaders
  /** Column lineage as a graph, built on first use (`column:` selectors). */
  columns?: () => ColumnGraph
  /** Raw tables (`schema.table`) that received changes in the latest replication (`source_status:fresher`). */
  changedSources?: ReadonlySet<string>
}

/** Decides whether a node matches `value` for one selector method. */
export type SelectorMethod = (relation: AnyRelation, value: string, matches: (text: string) => boolean, context: SelectContext) => boolean

export const builtinSelectorMethods: Record<string, SelectorMethod> = {
  name: (r, _v, matches) => matches(r.name) || (r.kind === 'source' && matches(`${r.schema}.${r.name}`)),
  model: (r, _v, matches) => r.kind === 'model' && matches(r.name),
  tag: (r, _v, matches) => r.tags.some(matches),
  source: (r, value, matches, context) => r.kind === 'source' && sourceMatches(r, value, matches, context.sources),
  materialized: (r, _v, matches) => r.kind === 'model' && matches(r.materialized),
  source_status: (r, value, _m, context) => r.kind === 'source' && sourceStatusMatches(r, value, context.changedSources),
}

export interface SelectOptions {
  /** Selectors (union); empty or missing selects every node. */
  select?: readonly string[]
  exclude?: readonly string[]
  /** Extra methods (e.g. `test_type`) on top of the built-in ones. */
  methods?: Record<string, SelectorMethod>
  /** The configured sources (`source:<name>`, `source:<name>.<table>`); without them `source:` matches destination schemas only. */
  sources?: SourceLoaders
  /** Raw tables' column names (codegen's `rawColumns`), for column lineage (`planProject`). */
  sourceColumns?: SourceColumns
  /** Column lineage, for `column:` selectors (`column:raw.films.user_rating+`); `planProject` passes it. */
  lineage?: ProjectLineage
  /**
   * `source_status:fresher`: the raw tables (`schema.table`) that received changes in the latest
   * replication (the CLI reads them from `_elt.table_changes`); `source_status:fresher+` then builds
   * exactly the models downstream of them. No changed table selects nothing (not an error).
   */
  changedSources?: ReadonlySet<string>
}

/** Methods whose value is not matched node by node: `column:` follows column lineage ({@link columnSelection}). */
const columnMethod = 'column'

/**
 * Resolves dbt-style selection against the graph and returns the chosen node ids in
 * dependency order. A selector matching nothing is an error (a typo should not build nothing).
 *
 * ```ts
 * selectNodes(graph, { select: ['+film_ratings'], exclude: ['source:*'] })
 * // ['model.stg_actors', 'model.stg_film_actors', 'model.stg_films', 'model.film_ratings']
 * ```
 */
export function selectNodes(graph: ModelGraph, options: SelectOptions = {}): string[] {
  const methods = { ...builtinSelectorMethods, ...options.methods }
  const names = [...Object.keys(methods), columnMethod]
  let columns: ColumnGraph | undefined
  const context: SelectContext = {
    ...(options.sources ? { sources: options.sources } : {}),
    ...(options.changedSources ? { changedSources: options.changedSources } : {}),
    columns: () => {
      if (!options.lineage) throw new Error('internal: a column: selector needs the column lineage (planProject passes it in SelectOptions.lineage)')
      return (columns ??= ColumnGraph.fromLineage(options.lineage))
    },
  }
  const chosen = options.select?.some((s) => s.trim()) ? evaluate(graph, parseSelectors(options.select, names), methods, context) : new Set(graph.nodes())
  if (options.exclude?.some((s) => s.trim())) {
    for (const id of evaluate(graph, parseSelectors(options.exclude, names), methods, context)) chosen.delete(id)
  }
  return topologicalOrder(graph, chosen)
}

function evaluate(graph: ModelGraph, expression: SelectionCriterion[][], methods: Record<string, SelectorMethod>, context: SelectContext): Set<string> {
  const union = new Set<string>()
  for (const intersection of expression) {
    let current: Set<string> | undefined
    for (const criterion of intersection) {
      const found =
        criterion.method === columnMethod && !methods[columnMethod]
          ? columnSelection(graph, context.columns!(), criterion)
          : resolveCriterion(graph, criterion, methods[criterion.method]!, context)
      current = current ? new Set([...current].filter((id) => found.has(id))) : found
    }
    for (const id of current ?? []) union.add(id)
  }
  return union
}

function resolveCriterion(graph: ModelGraph, criterion: SelectionCriterion, method: SelectorMethod, context: SelectContext): Set<string> {
  const matches = globMatcher(criterion.value)
  const seeds = graph.filterNodes((_id, attributes) => method(attributes.relation, criterion.value, matches, context))
  if (seeds.length === 0 && criterion.method !== 'source_status') {
    throw new EltError(`The selector "${criterion.raw}" matches no node.`, {
      hint: 'Check the spelling; `pnpm elt ls` lists every node.',
      exitCode: ExitCode.usage,
    })
  }
  const result = new Set(seeds)
  for (const seed of seeds) {
    if (criterion.parents > 0) for (const id of reachable(graph, seed, 'up', criterion.parents)) result.add(id)
    if (criterion.children > 0 || criterion.childrenParents) {
      const down = reachable(graph, seed, 'down', criterion.childrenParents ? Infinity : criterion.children)
      for (const id of down) result.add(id)
      if (criterion.childrenParents) {
        for (const id of [seed, ...down]) for (const up of reachable(graph, id, 'up')) result.add(up)
      }
    }
  }
  return result
}
