import { describeError, EltError, ExitCode } from '@elt/core'
import { ColumnGraph, columnPath, type ColumnPathEdge, type ColumnRef } from '@elt/runner'
import type { DashboardSource, LineageNode, NodeRunInfo, RunSummary, TestFailureDetail } from '../data/dashboard-source.ts'
import type { Layout } from '../lineage/layered-layout.ts'
import { lineageGraph, type LineageGraph } from '../lineage/lineage-graph.ts'
import { layoutSelection, lineageView, worstTestStatus, type LineageView } from '../lineage/lineage-view.ts'
import { runTimeline, type RunTimeline } from '../runs/run-timeline.ts'
import { testList, testStatuses, type TestFilter, type TestList, type TestListStatus, type TestRow } from '../tests/test-overview.ts'
import { HttpError, notFound } from './http-error.ts'

/** Chooses the nodes of `select` minus `exclude` (dbt syntax); throws an `EltError` naming a bad selector. */
export type NodeSelector = (graph: LineageGraph, select: string, exclude: string) => Set<string>

export interface NodeDetail {
  node: LineageNode
  parents: { id: string; name: string; kind: string }[]
  children: { id: string; name: string; kind: string }[]
  tests: TestRow[]
  lastRun?: NodeRunInfo
  history: NodeRunInfo[]
}

/** `GET /api/columns/:node/:column/lineage`: every column on the path and the edges between them (`to.column` null: the column filters that node). */
export interface ColumnLineage {
  node: string
  column: string
  direction: 'up' | 'down' | 'both'
  depth: number | null
  columns: ColumnRef[]
  edges: ColumnPathEdge[]
}

export interface TestDetail {
  test: TestRow
  sql?: string
  failure?: TestFailureDetail
}

const historyRuns = 20
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * The JSON API, independent of HTTP: each method is one endpoint's body.
 * Keeps the graph and recent layouts per manifest version.
 */
export class DashboardApi {
  private graph: LineageGraph | undefined
  private columns: { version: string; graph: ColumnGraph } | undefined
  private readonly layouts = new Map<string, { ids: Set<string>; layout: Layout }>()

  constructor(
    private readonly source: DashboardSource,
    private readonly select: NodeSelector,
  ) {}

  async lineageGraph(): Promise<LineageGraph> {
    const manifest = await this.source.manifest()
    if (this.graph?.manifest.version !== manifest.version) {
      this.graph = lineageGraph(manifest)
      this.layouts.clear()
    }
    return this.graph
  }

  /** `GET /api/manifest`: nodes (without compiled SQL) and tests. */
  async manifest(): Promise<{ version: string; generatedAt?: string; nodes: Omit<LineageNode, 'compiledSql'>[]; tests: unknown[] }> {
    const { manifest } = await this.lineageGraph()
    return { version: manifest.version, generatedAt: manifest.generatedAt, nodes: manifest.nodes.map(({ compiledSql: _sql, ...node }) => node), tests: manifest.tests }
  }

  /** `GET /api/lineage?select=…&exclude=…` */
  async lineage(select: string, exclude: string): Promise<LineageView> {
    const graph = await this.lineageGraph()
    const key = `${select.trim()}\u0000${exclude.trim()}`
    let entry = this.layouts.get(key)
    if (!entry) {
      let ids: Set<string>
      try {
        ids = this.select(graph, select, exclude)
      } catch (error) {
        if (error instanceof EltError && error.exitCode === ExitCode.usage) throw new HttpError(400, describeError(error))
        throw error
      }
      entry = { ids, layout: layoutSelection(graph, ids) }
      if (this.layouts.size >= 64) this.layouts.delete(this.layouts.keys().next().value!)
      this.layouts.set(key, entry)
    }
    const [lastRuns, results] = await Promise.all([this.source.lastNodeRuns(), this.source.testResults(1)])
    // once the page has its graph, index the column lineage so the first column click does not wait for it
    if (this.columns?.version !== graph.manifest.version) setTimeout(() => this.columnGraph(graph), 0).unref()
    return lineageView(graph, entry.ids, entry.layout, lastRuns, worstTestStatus(graph, results))
  }

  /** `GET /api/nodes/:id` */
  async node(id: string): Promise<NodeDetail> {
    const graph = await this.lineageGraph()
    const node = graph.byId.get(id)
    if (!node) throw notFound(`node "${id}" in the manifest`)
    const [history, results] = await Promise.all([this.source.nodeHistory(id, historyRuns), this.source.testResults(historyRuns)])
    const brief = (other: string) => {
      const n = graph.byId.get(other)!
      return { id: n.id, name: n.name, kind: n.kind }
    }
    return {
      node,
      parents: (graph.parents.get(id) ?? []).map(brief),
      children: (graph.children.get(id) ?? []).map(brief),
      tests: testList(graph, results, { model: id }).tests,
      lastRun: history[0],
      history,
    }
  }

  /**
   * `GET /api/columns/:node/:column/lineage?direction=up|down|both&depth=n`: a column's lineage
   * (default upstream, every hop), from the manifest's column lineage.
   */
  async columnLineage(node: string, column: string, direction: string, depth: string | undefined): Promise<ColumnLineage> {
    if (direction !== 'up' && direction !== 'down' && direction !== 'both') throw new HttpError(400, `direction must be up, down or both, got "${direction}".`)
    const hops = depth === undefined || depth === '' ? Infinity : Number(depth)
    if (!(hops === Infinity || (Number.isInteger(hops) && hops >= 1))) throw new HttpError(400, `depth must be a whole number ≥ 1, got "${depth}".`)
    const graph = await this.lineageGraph()
    const found = graph.byId.get(node)
    if (!found) throw notFound(`node "${node}" in the manifest`)
    if (!found.columns.some((c) => c.name === column)) throw notFound(`column "${column}" of ${node}`)
    const path = columnPath(this.columnGraph(graph), { node, column }, direction, hops)
    return { node, column, direction, depth: hops === Infinity ? null : hops, ...path }
  }

  /** The manifest's column lineage as a graph, built once per manifest version. */
  private columnGraph(graph: LineageGraph): ColumnGraph {
    if (this.columns?.version !== graph.manifest.version) {
      const entries = graph.manifest.nodes.map((n) => ({ node: n.id, columns: n.columns.map((c): [string, typeof c.dependsOn] => [c.name, c.dependsOn]), filters: n.columnFilters ?? [] }))
      this.columns = { version: graph.manifest.version, graph: new ColumnGraph(entries) }
    }
    return this.columns.graph
  }

  /** `GET /api/tests?status=…&model=…&column=…&type=…&tag=…` */
  async tests(filter: TestFilter): Promise<TestList> {
    if (filter.status && !testStatuses.includes(filter.status))
      throw new HttpError(400, `Unknown test status "${filter.status}"; use one of ${testStatuses.join(', ')}.`)
    const graph = await this.lineageGraph()
    return testList(graph, await this.source.testResults(historyRuns), filter)
  }

  /** `GET /api/tests/:id`: the test, its failing-row sample and the SQL reproducing it. */
  async test(id: string): Promise<TestDetail> {
    const graph = await this.lineageGraph()
    const definition = graph.manifest.tests.find((test) => test.id === id)
    if (!definition) throw notFound(`test "${id}" in the manifest`)
    const row = testList(graph, await this.source.testResults(historyRuns)).tests.find((test) => test.id === id)!
    const failure = row.status === 'pass' || row.status === 'none' ? undefined : await this.source.testFailure(id)
    return { test: row, sql: failure?.sql ?? definition.sql, failure }
  }

  /** `GET /api/runs` */
  async runs(limit = 50): Promise<RunSummary[]> {
    return this.source.runs(Math.max(1, Math.min(500, Math.floor(limit) || 50)))
  }

  /** `GET /api/runs/:id` */
  async run(id: string): Promise<RunTimeline> {
    const run = uuidPattern.test(id) ? await this.source.run(id) : undefined
    if (!run) throw notFound(`run "${id}"`)
    let parents: LineageGraph['parents'] = new Map()
    try {
      parents = (await this.lineageGraph()).parents
    } catch {
      // Without a manifest the timeline still draws; only the critical path loses its edges.
    }
    return runTimeline(run, (nodeId) => parents.get(nodeId) ?? [])
  }
}

/** `?status=fail&model=film_ratings` → `{ status: 'fail', model: 'film_ratings' }` (empty values dropped). */
export function parseTestFilter(query: URLSearchParams): TestFilter {
  const value = (name: string) => query.get(name)?.trim() || undefined
  return { status: value('status') as TestListStatus | undefined, model: value('model'), column: value('column'), type: value('type'), tag: value('tag') }
}
