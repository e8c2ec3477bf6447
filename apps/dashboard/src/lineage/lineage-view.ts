import type { NodeKind, NodeRunInfo, StepStatus, TestResult, TestStatus } from '../data/dashboard-source.ts'
import { layeredLayout, type Layout } from './layered-layout.ts'
import type { LineageGraph } from './lineage-graph.ts'

export interface LineageViewNode {
  id: string
  name: string
  /** What the canvas writes: the name, schema-qualified for tables (`raw.films`, `public.films`). */
  label: string
  kind: NodeKind
  /** A `source` node: the kind of the configured source that reads it (`postgres`, `csv`, …), when known. */
  sourceKind?: string
  materialized?: string
  tags: string[]
  x: number
  y: number
  runStatus?: StepStatus
  testStatus?: TestStatus
  testCount: number
}

export interface LineageViewEdge {
  from: string
  to: string
  /** `ref`: the child reads the parent; `relationship`: a relationships test (drawn dashed). */
  kind: 'ref' | 'relationship'
}

/** The body of `GET /api/lineage`. */
export interface LineageView {
  nodes: LineageViewNode[]
  edges: LineageViewEdge[]
  width: number
  height: number
  nodeWidth: number
  nodeHeight: number
  /** Nodes in the whole project (the view may show fewer). */
  total: number
}

const testRank: Record<TestStatus, number> = { pass: 0, warn: 1, fail: 2, error: 3 }

/** Worst latest status of each node's tests. */
export function worstTestStatus(graph: LineageGraph, results: Map<string, TestResult[]>): Map<string, TestStatus> {
  const worst = new Map<string, TestStatus>()
  for (const test of graph.manifest.tests) {
    const last = results.get(test.id)?.[0]
    if (!last) continue
    const current = worst.get(test.nodeId)
    if (current === undefined || testRank[last.status] > testRank[current]) worst.set(test.nodeId, last.status)
  }
  return worst
}

/** Edges (reads and relationships tests) among `ids`, in a stable order. */
export function edgesAmong(graph: LineageGraph, ids: Set<string>): LineageViewEdge[] {
  const edges: LineageViewEdge[] = []
  for (const id of ids) for (const parent of graph.parents.get(id) ?? []) if (ids.has(parent)) edges.push({ from: parent, to: id, kind: 'ref' })
  for (const [from, to] of graph.relationshipEdges) if (ids.has(from) && ids.has(to)) edges.push({ from, to, kind: 'relationship' })
  return edges
}

/** Lays out the selected nodes; the layout depends only on the selection, so callers may cache it. */
export function layoutSelection(graph: LineageGraph, ids: Set<string>): Layout {
  const ordered = [...ids].sort((a, b) => {
    const na = graph.byId.get(a)!
    const nb = graph.byId.get(b)!
    return na.name < nb.name ? -1 : na.name > nb.name ? 1 : a < b ? -1 : 1
  })
  const refs = edgesAmong(graph, ids).filter((edge) => edge.kind === 'ref')
  return layeredLayout({ ids: ordered, edges: refs.map((edge) => [edge.from, edge.to] as const) })
}

/**
 * Assembles `GET /api/lineage`'s body from a layout and the latest statuses.
 *
 * ```ts
 * const ids = selectNodes(graph, '1+film_ratings+1')
 * lineageView(graph, ids, layoutSelection(graph, ids), lastRuns, worstTests)
 * // → { nodes: [{ id: 'model.film_ratings', x: 520, y: 40, runStatus: 'success', testStatus: 'pass', … }], edges: [...] }
 * ```
 */
export function lineageView(
  graph: LineageGraph,
  ids: Set<string>,
  layout: Layout,
  lastRuns: Map<string, NodeRunInfo>,
  worstTests: Map<string, TestStatus>,
): LineageView {
  const testCount = new Map<string, number>()
  for (const test of graph.manifest.tests) testCount.set(test.nodeId, (testCount.get(test.nodeId) ?? 0) + 1)
  const nodes = layout.nodes.map((position): LineageViewNode => {
    const node = graph.byId.get(position.id)!
    return {
      id: node.id,
      name: node.name,
      label: node.kind !== 'model' && node.schema ? `${node.schema}.${node.name}` : node.name,
      kind: node.kind,
      ...(node.kind === 'source' && node.loader ? { sourceKind: node.loader.kind } : {}),
      materialized: node.materialized,
      tags: node.tags,
      x: position.x,
      y: position.y,
      runStatus: lastRuns.get(node.id)?.status,
      testStatus: worstTests.get(node.id),
      testCount: testCount.get(node.id) ?? 0,
    }
  })
  return {
    nodes,
    edges: edgesAmong(graph, ids),
    width: layout.width,
    height: layout.height,
    nodeWidth: layout.nodeWidth,
    nodeHeight: layout.nodeHeight,
    total: graph.byId.size,
  }
}
