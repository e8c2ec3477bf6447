import { createHash } from 'node:crypto'
import { isTestNode, type Manifest, type ManifestNode, type ManifestTestNode, type SourceLoader, type TestHistoryEntry } from '@elt/runner'
import type { ColumnInfo, DashboardManifest, LineageNode, TestDefinition, TestSeverity } from './dashboard-source.ts'

/** What the warehouse adds to the runner's manifest: where raw tables came from, real column types, tests seen in runs. */
export interface ManifestExtras {
  /** Replicated table → its source table, from the extract-load records: `raw.films` → `public.films`. */
  loadedFrom: Map<string, string>
  /** Catalog columns by relation (`analytics.film_ratings`), in table order. */
  columns: Map<string, ColumnInfo[]>
  /** Tests known from `_elt.test_results` (their latest definition), for tests the manifest does not list. */
  recordedTests: TestDefinition[]
}

/** Id of the lineage node standing for a table of the source database. */
export const upstreamId = (qualified: string): string => `upstream.${qualified}`

/**
 * Turns the runner's `target/manifest.json` into the dashboard's nodes and tests: sources become
 * `raw` nodes fed by their source-database table (from the load records), models keep their
 * compiled SQL and file, `test` nodes and recorded results become tests.
 *
 * ```ts
 * fromRunnerManifest(manifest, { loadedFrom: new Map([['raw.films', 'public.films']]), columns, recordedTests: [] })
 * // → nodes: upstream.public.films → source.raw.films → model.stg_films → …
 * ```
 */
export function fromRunnerManifest(manifest: Manifest, extras: ManifestExtras): DashboardManifest {
  const nodes: LineageNode[] = []
  const tests: TestDefinition[] = []
  const upstream = new Map<string, LineageNode>()
  const all = Object.values(manifest.nodes)
  for (const node of all) {
    if (isTestNode(node)) {
      tests.push(testOf(node))
      continue
    }
    if (node.kind !== 'source' && node.kind !== 'model') continue
    const qualified = node.schema ? `${node.schema}.${node.name}` : undefined
    const parents = [...(manifest.parent_map[node.id] ?? node.depends_on)].filter((id) => manifest.nodes[id]?.kind !== 'test')
    // Where a raw table comes from: the manifest's loader (the configured source), else the load records.
    const loader = node.kind === 'source' ? node.loader : undefined
    const from = loader?.from ?? (qualified && node.kind === 'source' ? extras.loadedFrom.get(qualified) : undefined)
    let columns = mergeColumns(qualified ? extras.columns.get(qualified) : undefined, node.columns)
    if (from) {
      const id = upstreamId(from)
      if (!upstream.has(id)) upstream.set(id, { ...upstreamNode(id, from, loader), columns: columns.map(({ name, type }) => ({ name, ...(type ? { type } : {}) })) })
      parents.push(id)
      // a raw column is its source column, loaded as it is
      columns = columns.map((column) => ({ ...column, dependsOn: [{ node: id, column: column.name, kind: 'direct' }] }))
    }
    nodes.push({
      id: node.id,
      name: node.name,
      kind: node.kind === 'source' ? 'raw' : 'model',
      schema: node.schema ?? undefined,
      materialized: node.materialized ?? undefined,
      description: node.description ?? undefined,
      tags: [...node.tags],
      columns,
      filePath: node.file ?? undefined,
      compiledSql: node.sql ?? undefined,
      parents,
      ...(loader ? { loader: { ...loader } } : {}),
      ...(node.depends_on_columns ? { columnFilters: node.depends_on_columns } : {}),
    })
  }
  const recorded = new Map(extras.recordedTests.map((test) => [test.id, test]))
  const known = new Set(tests.map((test) => test.id))
  for (const test of extras.recordedTests) if (!known.has(test.id)) tests.push(test)
  for (const test of tests)
    if (!manifest.nodes[test.nodeId] || manifest.nodes[test.nodeId]!.kind === 'test') {
      // The runner records which relation a custom test is about; the manifest only lists what it reads.
      test.model = recorded.get(test.id)?.model ?? test.model
      attachCustomTest(test, all)
    }
  for (const test of tests) if (test.type === 'relationships' && !test.references) test.references = relationshipTarget(test, all)
  const allNodes = [...upstream.values(), ...nodes]
  const version = createHash('sha1')
    .update(JSON.stringify([manifest.generated_at, allNodes.map((n) => [n.id, n.parents]), tests.map((t) => t.id), [...extras.columns.keys()]]))
    .digest('hex')
    .slice(0, 16)
  return { version, generatedAt: manifest.generated_at, nodes: allNodes, tests }
}

/**
 * The lineage node of where a raw table comes from: a source-database table (`public.films`: name
 * `films`, schema `public`) or, for a file source, the file (`source_db_init/ticket_sales.csv`: name
 * `ticket_sales.csv`, no schema), with the loader that reads it.
 */
function upstreamNode(id: string, from: string, loader: SourceLoader | undefined): LineageNode {
  const base = { id, kind: 'source' as const, tags: [], columns: [], parents: [], ...(loader ? { loader: { ...loader } } : {}) }
  if (loader === undefined || loader.kind === 'postgres') {
    const [schema, ...rest] = from.split('.')
    return { ...base, name: rest.join('.'), schema }
  }
  return { ...base, name: from.split(/[\\/]/).at(-1) ?? from, description: `${loader.kind.toUpperCase()} ${from}, loaded by the source "${loader.source}".` }
}

/** A custom test has its own node id (`test.<name>`): show it on the relation it reads, named by `model`. */
function attachCustomTest(test: TestDefinition, nodes: ManifestNode[]): void {
  const match = nodes.find((n) => n.kind === 'model' && n.name === test.model) ?? nodes.find((n) => n.kind === 'source' && `${n.schema}.${n.name}` === test.model)
  if (match) test.nodeId = match.id
}

/** The catalog's columns in table order (else the manifest's), with the manifest's descriptions and column lineage. */
function mergeColumns(catalog: ColumnInfo[] | undefined, declared: ManifestNode['columns']): ColumnInfo[] {
  const lineage = (name: string) => (declared[name]?.depends_on ? { dependsOn: declared[name].depends_on } : {})
  const columns: ColumnInfo[] = (catalog ?? []).map((column) => ({ ...column, description: declared[column.name]?.description ?? column.description, ...lineage(column.name) }))
  for (const [name, spec] of Object.entries(declared)) if (!columns.some((c) => c.name === name)) columns.push({ name, description: spec.description, ...lineage(name) })
  return columns
}

/** A `test` node of the manifest, by the keys the runner writes (`ManifestTestFields`, the schema's `testNode`). */
function testOf(node: ManifestTestNode): TestDefinition {
  const first = node.depends_on[0]
  return {
    id: node.name,
    type: node.test_type,
    nodeId: node.tested_node,
    ...(first && node.tested_node.startsWith('test.') ? { model: first.replace(/^(model|source)\./, '') } : {}),
    column: node.column ?? undefined,
    severity: node.severity,
    tags: [...node.tags],
    references: node.to_node ? { nodeId: node.to_node, column: node.to_column ?? undefined } : undefined,
    sql: node.sql ?? undefined,
  }
}

/**
 * For a relationships test known only from its results (or from a manifest written before test nodes
 * carried `to_node`), the parent from its id: `relationships_<model>_<col>__<field>__[<schema>_]<to>`.
 */
function relationshipTarget(test: TestDefinition, nodes: ManifestNode[]): TestDefinition['references'] {
  const parts = test.id.split('__')
  if (parts.length < 3) return undefined
  const target = parts[parts.length - 1]!
  const field = parts[parts.length - 2]
  const match = nodes.find((n) => n.kind === 'model' && n.name === target) ?? nodes.find((n) => n.kind === 'source' && `${n.schema}_${n.name}` === target)
  return match ? { nodeId: match.id, column: field } : undefined
}

/** A test definition from its latest recorded result (the runner's `testHistory`). */
export function recordedTest(entry: TestHistoryEntry): TestDefinition {
  return {
    id: entry.testId,
    type: entry.type,
    nodeId: entry.nodeId,
    model: entry.model,
    column: entry.column ?? undefined,
    severity: (entry.severity === 'warn' ? 'warn' : 'error') satisfies TestSeverity,
    tags: entry.tags,
    sql: entry.sql,
  }
}
