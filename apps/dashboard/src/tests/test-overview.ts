import { failRate } from '@elt/runner'
import type { LineageGraph } from '../lineage/lineage-graph.ts'
import type { TestResult, TestStatus } from '../data/dashboard-source.ts'

export type TestListStatus = TestStatus | 'none'

export interface TestRow {
  id: string
  type: string
  nodeId: string
  model: string
  column?: string
  severity: string
  tags: string[]
  /** Latest status, `none` when the test never ran. */
  status: TestListStatus
  failures: number
  lastAt?: string
  /** Share of the runs in `history` that did not pass (0..1): the runner's `failRate`. */
  failRate: number
  history: { runId: string; status: TestStatus; failures: number; at: string }[]
  message?: string
}

export interface TestFilter {
  status?: TestListStatus
  model?: string
  column?: string
  type?: string
  tag?: string
}

/** The body of `GET /api/tests`. */
export interface TestList {
  totals: Record<TestListStatus, number>
  tests: TestRow[]
}

/** Test statuses from worst to best; `none` = never ran. */
export const testStatuses: readonly TestListStatus[] = ['error', 'fail', 'warn', 'pass', 'none']
const order = new Map(testStatuses.map((status, i) => [status, i]))

/**
 * Every test with its latest result and recent history, failures first; totals count all tests
 * before filtering.
 *
 * ```ts
 * testList(graph, await source.testResults(20), { status: 'fail' })
 * // → { totals: { error: 0, fail: 1, warn: 0, pass: 11, none: 0 }, tests: [{ id: 'unique_film_ratings_film_id', status: 'fail', failures: 3, failRate: 0.5, … }] }
 * ```
 */
export function testList(graph: LineageGraph, results: Map<string, TestResult[]>, filter: TestFilter = {}): TestList {
  const totals: Record<TestListStatus, number> = { error: 0, fail: 0, warn: 0, pass: 0, none: 0 }
  const rows = graph.manifest.tests.map((test): TestRow => {
    const history = results.get(test.id) ?? []
    const last = history[0]
    const status: TestListStatus = last?.status ?? 'none'
    totals[status]++
    return {
      id: test.id,
      type: test.type,
      nodeId: test.nodeId,
      model: displayName(graph, test.nodeId) ?? test.model ?? test.nodeId,
      column: test.column,
      severity: test.severity,
      tags: test.tags,
      status,
      failures: last?.failures ?? 0,
      lastAt: last?.at,
      failRate: failRate(history),
      history: history.map(({ runId, status, failures, at }) => ({ runId, status, failures, at })),
      message: last?.message,
    }
  })
  const tests = rows
    .filter(
      (row) =>
        (!filter.status || row.status === filter.status) &&
        (!filter.model || row.model === filter.model || row.nodeId === filter.model) &&
        (!filter.column || row.column === filter.column) &&
        (!filter.type || row.type === filter.type) &&
        (!filter.tag || row.tags.includes(filter.tag)),
    )
    .sort((a, b) => order.get(a.status)! - order.get(b.status)! || b.failures - a.failures || a.id.localeCompare(b.id))
  return { totals, tests }
}

/** `film_ratings` for a model, `raw.films` for a table (names of tables repeat across schemas). */
function displayName(graph: LineageGraph, id: string): string | undefined {
  const node = graph.byId.get(id)
  if (!node) return undefined
  return node.kind !== 'model' && node.schema ? `${node.schema}.${node.name}` : node.name
}
