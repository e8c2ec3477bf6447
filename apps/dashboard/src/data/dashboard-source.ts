import type { ColumnDependency, FilterDependency, SourceLoader } from '@elt/runner'

/**
 * What the dashboard shows, and the one small interface it reads it through.
 * The HTTP layer only ever talks to a `DashboardSource`; the warehouse-backed
 * source (manifest file + `_elt` history) and the generated scale project both implement it.
 */

/** `source`: where a raw table comes from (a table of the source database, a CSV file, …); `raw`: the table in the destination; `model`: a built model. */
export type NodeKind = 'source' | 'raw' | 'model'

export interface ColumnInfo {
  name: string
  type?: string
  description?: string
  /** Column lineage: the parent columns this one is computed from (manifest `depends_on`; a raw column: its source column). */
  dependsOn?: ColumnDependency[]
}

export interface LineageNode {
  /** Stable id, e.g. `model.film_ratings`, `raw.films`, `source.public.films`. */
  id: string
  name: string
  kind: NodeKind
  schema?: string
  materialized?: string
  description?: string
  tags: string[]
  columns: ColumnInfo[]
  /** The model's Kysely module, relative to the project root. */
  filePath?: string
  compiledSql?: string
  /** Ids of the nodes this one reads. */
  parents: string[]
  /** A raw table and its `source` node: the configured source that loads it (`{ source: 'ticket_sales', kind: 'csv', from: 'source_db_init/ticket_sales.csv' }`). */
  loader?: SourceLoader
  /** Column lineage: the parent columns that filter, join, group or order the rows (manifest `depends_on_columns`). */
  columnFilters?: FilterDependency[]
}

export type TestSeverity = 'error' | 'warn'
export type TestStatus = 'pass' | 'warn' | 'fail' | 'error'

export interface TestDefinition {
  /** Stable across runs, e.g. `unique_film_ratings_film_id`. */
  id: string
  type: string
  /** The node the test is attached to (a custom test: the first node it reads). */
  nodeId: string
  /** Display name of the tested relation when it is not a lineage node. */
  model?: string
  column?: string
  severity: TestSeverity
  tags: string[]
  /** For `relationships`: the parent side, drawn as a dashed edge parent → child. */
  references?: { nodeId: string; column?: string }
  /** SQL returning every failing row. */
  sql?: string
}

export interface DashboardManifest {
  /** Changes whenever the manifest does (used to key layout caches). */
  version: string
  generatedAt?: string
  nodes: LineageNode[]
  tests: TestDefinition[]
}

/** `abandoned`: recorded `running`, but its process is gone (killed or crashed). */
export type RunStatus = 'running' | 'success' | 'error' | 'cancelled' | 'abandoned'
export type StepStatus = 'success' | 'error' | 'skipped' | 'running' | 'abandoned' | TestStatus

export interface RunSummary {
  id: string
  command: string
  target?: string
  status: RunStatus
  startedAt: string
  finishedAt?: string
  seconds?: number
  counts: {
    loads: Record<string, number>
    models: Record<string, number>
    tests: Record<string, number>
  }
  message?: string
}

/** One bar of a run's timeline: a table load, a table extracted to the stage, a model build or a test. */
export interface RunStep {
  kind: 'load' | 'extract' | 'model' | 'test'
  /** Lineage node id when the step maps to one (loads → raw node, models → model node). */
  nodeId?: string
  name: string
  status: StepStatus
  startedAt: string
  finishedAt: string
  seconds: number
  /** Worker / thread that ran it, when recorded. */
  worker?: number
  rows?: number
  message?: string
}

export interface RunDetail extends RunSummary {
  steps: RunStep[]
}

export interface TestResult {
  testId: string
  runId: string
  status: TestStatus
  failures: number
  seconds?: number
  at: string
  message?: string
}

/** A test's failing-row sample and reproduction SQL from one run. */
export interface TestFailureDetail {
  testId: string
  runId?: string
  failures: number
  sql?: string
  sample: Record<string, unknown>[]
  sampleColumns: string[]
}

/** The last build of a node (model or table load). */
export interface NodeRunInfo {
  runId: string
  status: StepStatus
  startedAt: string
  seconds: number
  rows?: number
  message?: string
}

export interface DashboardSource {
  /** The project's nodes and tests (throws an `EltError` when there is none to read). */
  manifest(): Promise<DashboardManifest>
  /** Most recent runs first. */
  runs(limit: number): Promise<RunSummary[]>
  /** One run with its steps, or undefined when the id is unknown. */
  run(id: string): Promise<RunDetail | undefined>
  /** Recent results of every test, newest first per test (at most `perTest` each). */
  testResults(perTest: number): Promise<Map<string, TestResult[]>>
  /** The latest failing sample of one test (undefined when it never failed or has no sample). */
  testFailure(testId: string): Promise<TestFailureDetail | undefined>
  /** The latest build of every node that has one. */
  lastNodeRuns(): Promise<Map<string, NodeRunInfo>>
  /** One node's recent builds, newest first. */
  nodeHistory(nodeId: string, limit: number): Promise<NodeRunInfo[]>
  close(): Promise<void>
}
