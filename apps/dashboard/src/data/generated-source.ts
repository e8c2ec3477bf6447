import type {
  DashboardManifest,
  DashboardSource,
  LineageNode,
  NodeRunInfo,
  RunDetail,
  RunStep,
  TestDefinition,
  TestFailureDetail,
  TestResult,
  TestStatus,
} from './dashboard-source.ts'
import { seededRandom } from '@elt/core'

export interface GeneratedProjectOptions {
  models?: number
  /** Lineage edges in total (source → raw → models), at least one parent per model. */
  edges?: number
  sourceTables?: number
  runs?: number
  seed?: number
}

/**
 * A deterministic synthetic project for scale work and demos (`pnpm dashboard --demo`):
 * by default 20 source tables → 20 raw tables → 2,000 models joined by 5,000 edges in all,
 * 20 columns per model with column lineage, a test per model (plus relationships tests), and a
 * few simulated runs on 4 workers.
 *
 * ```ts
 * const source = generatedSource({ models: 2000, edges: 5000 })
 * (await source.manifest()).nodes.length // → 2040
 * ```
 */
export function generatedSource(options: GeneratedProjectOptions = {}): DashboardSource {
  const project = generateProject(options)
  return {
    manifest: async () => project.manifest,
    runs: async (limit) => project.runs.slice(0, limit).map(({ steps: _steps, ...summary }) => summary),
    run: async (id) => project.runs.find((run) => run.id === id),
    testResults: async (perTest) => new Map([...project.results].map(([id, list]) => [id, list.slice(0, perTest)])),
    testFailure: async (testId) => project.failure(testId),
    lastNodeRuns: async () => new Map([...project.history].flatMap(([id, list]) => (list[0] ? [[id, list[0]] as const] : []))),
    nodeHistory: async (nodeId, limit) => (project.history.get(nodeId) ?? []).slice(0, limit),
    close: async () => {},
  }
}

interface GeneratedProject {
  manifest: DashboardManifest
  runs: RunDetail[]
  results: Map<string, TestResult[]>
  history: Map<string, NodeRunInfo[]>
  failure(testId: string): TestFailureDetail | undefined
}

function generateProject(options: GeneratedProjectOptions): GeneratedProject {
  const modelCount = options.models ?? 2000
  const edgeTarget = options.edges ?? 5000
  const sourceCount = options.sourceTables ?? 20
  const random = seededRandom(options.seed ?? 42)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!
  const tags = ['finance', 'marketing', 'core', 'daily', 'pii', 'experimental']
  const nodes: LineageNode[] = []
  for (let i = 0; i < sourceCount; i++) {
    const name = `table_${String(i).padStart(2, '0')}`
    const columns = [{ name: 'id', type: 'integer' }, { name: 'updated_at', type: 'timestamp with time zone' }]
    nodes.push({ id: `source.public.${name}`, name, kind: 'source', schema: 'public', tags: [], columns, parents: [] })
    nodes.push({ id: `raw.${name}`, name, kind: 'raw', schema: 'raw', tags: [], columns, parents: [`source.public.${name}`] })
  }
  const modelIds: string[] = []
  let edges = sourceCount
  for (let i = 0; i < modelCount; i++) {
    const name = `model_${String(i).padStart(4, '0')}`
    const id = `model.${name}`
    const candidates = i < 60 ? [] : modelIds.slice(Math.max(0, i - 300), i)
    const first = candidates.length > 0 && random() < 0.9 ? pick(candidates) : `raw.${pick(nodes.filter((n) => n.kind === 'raw')).name}`
    nodes.push({
      id,
      name,
      kind: 'model',
      schema: 'analytics',
      materialized: pick(['view', 'table', 'table', 'incremental']),
      description: `Generated model number ${i}.`,
      tags: random() < 0.5 ? [pick(tags)] : [],
      columns: [
        { name: 'id', type: 'bigint', description: 'Primary key.' },
        { name: `metric_${i % 17}`, type: 'numeric' },
        { name: `dimension_${i % 23}`, type: 'text' },
      ],
      filePath: `packages/models/src/generated/${name}.ts`,
      compiledSql: `select "id", "metric_${i % 17}", "dimension_${i % 23}" from ${first.replace(/^model\./, '"analytics".')}`,
      parents: [first],
    })
    modelIds.push(id)
    edges++
  }
  // Extra edges up to the target, each from an earlier model, never duplicated.
  const models = nodes.filter((node) => node.kind === 'model')
  while (edges < edgeTarget) {
    const index = 60 + Math.floor(random() * (models.length - 60))
    const node = models[index]!
    const parent = models[Math.max(0, index - 1 - Math.floor(random() * 300))]!.id
    if (node.parents.includes(parent)) continue
    node.parents.push(parent)
    edges++
  }

  addColumnLineage(nodes, seededRandom((options.seed ?? 42) + 1))

  const tests: TestDefinition[] = []
  for (const [i, node] of models.entries()) {
    tests.push({ id: `unique_${node.name}_id`, type: 'unique', nodeId: node.id, column: 'id', severity: 'error', tags: node.tags, sql: `select "id" from "analytics"."${node.name}" where "id" is not null group by "id" having count(*) > 1` })
    if (i % 10 === 5 && node.parents[0]?.startsWith('model.')) {
      const parent = node.parents[0]
      tests.push({ id: `relationships_${node.name}_id`, type: 'relationships', nodeId: node.id, column: 'id', severity: i % 20 === 5 ? 'warn' : 'error', tags: [], references: { nodeId: parent, column: 'id' } })
    }
  }
  const manifest: DashboardManifest = { version: `generated-${modelCount}-${edgeTarget}`, generatedAt: new Date(0).toISOString(), nodes, tests }

  // Runs: list-schedule every load and model on 4 workers in topological order.
  const runCount = options.runs ?? 5
  const runs: RunDetail[] = []
  const results = new Map<string, TestResult[]>()
  const history = new Map<string, NodeRunInfo[]>()
  const base = Date.UTC(2026, 0, 1, 6)
  for (let r = 0; r < runCount; r++) {
    const id = `00000000-0000-4000-8000-${String(runCount - r).padStart(12, '0')}`
    const start = base - r * 86_400_000
    const finishedAt = new Map<string, number>()
    const workers = [start, start, start, start]
    const steps: RunStep[] = []
    for (const node of nodes) {
      if (node.kind === 'source') continue
      const ready = Math.max(start, ...node.parents.map((p) => finishedAt.get(p) ?? start))
      const worker = workers.indexOf(Math.min(...workers))
      const begin = Math.max(ready, workers[worker]!)
      const seconds = Math.round((0.05 + random() * random() * 4) * 1000) / 1000
      const end = begin + seconds * 1000
      workers[worker] = end
      finishedAt.set(node.id, end)
      const status = random() < 0.005 ? 'error' : 'success'
      const rows = Math.floor(random() * 100_000)
      steps.push({ kind: node.kind === 'raw' ? 'load' : 'model', nodeId: node.id, name: node.name, status, startedAt: new Date(begin).toISOString(), finishedAt: new Date(end).toISOString(), seconds, worker, rows })
      const list = history.get(node.id) ?? []
      list.push({ runId: id, status, startedAt: new Date(begin).toISOString(), seconds, rows })
      history.set(node.id, list)
    }
    const end = Math.max(...finishedAt.values())
    const testCounts: Record<string, number> = {}
    for (const test of tests) {
      const roll = random()
      const status: TestStatus = roll < 0.03 ? 'fail' : roll < 0.05 ? 'warn' : 'pass'
      testCounts[status] = (testCounts[status] ?? 0) + 1
      const list = results.get(test.id) ?? []
      list.push({ testId: test.id, runId: id, status, failures: status === 'pass' ? 0 : 1 + Math.floor(random() * 40), seconds: 0.01, at: new Date(end).toISOString() })
      results.set(test.id, list)
    }
    const count = (kind: string) => {
      const out: Record<string, number> = {}
      for (const step of steps) if (step.kind === kind) out[step.status] = (out[step.status] ?? 0) + 1
      return out
    }
    runs.push({ id, command: 'run', target: 'prod', status: steps.some((s) => s.status === 'error') ? 'error' : 'success', startedAt: new Date(start).toISOString(), finishedAt: new Date(end).toISOString(), seconds: (end - start) / 1000, counts: { loads: count('load'), models: count('model'), tests: testCounts }, steps })
  }

  const failure = (testId: string): TestFailureDetail | undefined => {
    const last = results.get(testId)?.find((result) => result.status !== 'pass')
    const test = tests.find((t) => t.id === testId)
    if (!last || !test) return undefined
    const sample = Array.from({ length: Math.min(last.failures, 5) }, (_, i) => ({ id: 1000 + i, n_records: 2 }))
    return { testId, runId: last.runId, failures: last.failures, sql: test.sql, sample, sampleColumns: ['id', 'n_records'] }
  }
  return { manifest, runs, results, history, failure }
}

/**
 * Column lineage for the generated project (its own random stream, so the rest stays as it was):
 * a raw column is its source's; a model has 20 columns, `id` passed through from its first parent,
 * each other column read from one or two columns of its parents (direct or derived); the `id` of
 * every other parent joins.
 */
function addColumnLineage(nodes: LineageNode[], random: () => number): void {
  const byId = new Map(nodes.map((node) => [node.id, node]))
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!
  for (const node of nodes) {
    if (node.kind === 'raw') node.columns = node.columns.map((column) => ({ ...column, dependsOn: [{ node: node.parents[0]!, column: column.name, kind: 'direct' }] }))
    if (node.kind !== 'model') continue
    const parents = node.parents.map((id) => byId.get(id)!).filter((parent) => parent.columns.length > 0)
    const extra = Array.from({ length: 17 }, (_, i) => ({ name: `col_${String(i + 1).padStart(2, '0')}`, type: i % 3 === 0 ? 'numeric' : 'text' }))
    node.columns = [...node.columns, ...extra].map((column, i) => {
      if (i === 0) return { ...column, dependsOn: [{ node: parents[0]!.id, column: 'id', kind: 'direct' }] }
      const count = random() < 0.7 ? 1 : 2
      const dependsOn = Array.from({ length: count }, () => {
        const parent = pick(parents)
        return { node: parent.id, column: pick(parent.columns).name, kind: count === 1 && random() < 0.6 ? ('direct' as const) : ('derived' as const) }
      })
      return { ...column, dependsOn }
    })
    node.columnFilters = parents.slice(1).map((parent) => ({ node: parent.id, column: 'id', kind: 'filter', clause: 'join' }))
  }
}
