import { qualifiedName } from '@elt/core'
import type { Project } from '../define/project.ts'
import { isModel, isSource, type AnyRelation, type Dependencies } from '../define/relation.ts'
import type { BuildTarget, CompiledProject } from '../compile/compile-project.ts'
import { topologicalOrder, type ModelGraph } from '../graph/build-graph.ts'
import type { SourceLoader, SourceLoaders } from '../select/source-loaders.ts'
import type { ColumnDependency, FilterDependency, ProjectLineage } from '../lineage/column-dependency.ts'

/**
 * Bumped on any incompatible change; `packages/runner/schemas/manifest.schema.json` describes it.
 * 2: column lineage (`columns.<col>.depends_on`, `depends_on_columns`).
 */
export const manifestSchemaVersion = 2

export interface ManifestColumn {
  description?: string
  /** SQL type as the warehouse reports it (`format_type`), once the relation exists. */
  data_type?: string
  tests: unknown[]
  /** Models: the parent columns this column is computed from (column lineage). */
  depends_on?: ColumnDependency[]
}

export interface ManifestNode {
  id: string
  kind: 'source' | 'model' | 'test' | (string & {})
  name: string
  /** `"schema"."name"` for sources and built models; null for ephemeral models and tests. */
  relation: string | null
  schema: string | null
  materialized: string | null
  description: string | null
  tags: string[]
  columns: Record<string, ManifestColumn>
  tests: unknown[]
  depends_on: string[]
  /** Models: the parent columns that filter, join, group or order its rows (column lineage). */
  depends_on_columns?: FilterDependency[]
  /** Compiled SQL (models, tests). */
  sql: string | null
  file: string | null
  /** Sources: the configured source that loads it (`{ source: 'postgres', kind: 'postgres', from: 'public.films' }`), when known. */
  loader?: SourceLoader
  [extra: string]: unknown
}

/** A node another component adds (data tests): at least an id, a kind, a name and its parents. */
export type ExtraManifestNode = Partial<ManifestNode> & Pick<ManifestNode, 'id' | 'kind' | 'name' | 'depends_on'>

/** What a data test's node (`kind: 'test'`) adds to a node: the schema's `testNode`, written by `testManifestNodes`. */
export interface ManifestTestFields {
  /** `not_null`, `unique`, `relationships`, …, `custom`. */
  test_type: string
  /** The tested node (`model.film_ratings`, `source.raw.films`); a custom test's own `test.<name>`. */
  tested_node: string
  /** The tested column; null for a test on a whole relation. */
  column: string | null
  severity: 'error' | 'warn'
  warn_if: string
  error_if: string
  /** A relationships test's parent node (every tested value must be in `to_node`.`to_column`); null for other kinds. */
  to_node: string | null
  to_column: string | null
}

/** A data test's node in the manifest. */
export type ManifestTestNode = ManifestNode & ManifestTestFields & { kind: 'test' }

/** Whether a manifest node is a data test's (and so has {@link ManifestTestFields}). */
export function isTestNode(node: ManifestNode): node is ManifestTestNode {
  return node.kind === 'test'
}

export interface Manifest {
  schema_version: number
  generated_at: string
  target: BuildTarget
  /** Node ids in dependency order. */
  order: string[]
  nodes: Record<string, ManifestNode>
  parent_map: Record<string, string[]>
  child_map: Record<string, string[]>
}

/**
 * Describes the whole project for `target/manifest.json`: every source (with the configured
 * source that loads it, from `sources`, and its known columns), model (with its compiled SQL and
 * each column's lineage, from `lineage`) and extra node (tests), with parent and child maps.
 */
export function buildManifest(
  project: Project,
  graph: ModelGraph,
  compiled: CompiledProject,
  target: BuildTarget,
  extraNodes: readonly ExtraManifestNode[] = [],
  sources?: SourceLoaders,
  lineage?: ProjectLineage,
): Manifest {
  const order = topologicalOrder(graph)
  const nodes: Record<string, ManifestNode> = {}
  const parentMap: Record<string, string[]> = {}
  const childMap: Record<string, string[]> = {}
  for (const id of order) {
    const relation = graph.getNodeAttribute(id, 'relation')
    const loader = relation.kind === 'source' ? sources?.loaderOf(relation.schema, relation.name) : undefined
    nodes[id] = withLineage({ ...describeRelation(relation, compiled), ...(loader ? { loader: { ...loader } } : {}) }, lineage)
    parentMap[id] = graph.inNeighbors(id).sort()
    childMap[id] = graph.outNeighbors(id).sort()
  }
  for (const extra of extraNodes) {
    nodes[extra.id] = {
      relation: null,
      schema: null,
      materialized: null,
      description: null,
      tags: [],
      columns: {},
      tests: [],
      sql: null,
      file: null,
      ...extra,
      depends_on: [...extra.depends_on].sort(),
    }
    parentMap[extra.id] = [...extra.depends_on].sort()
    childMap[extra.id] ??= []
    for (const parent of extra.depends_on) (childMap[parent] ??= []).push(extra.id)
  }
  return {
    schema_version: manifestSchemaVersion,
    generated_at: new Date().toISOString(),
    target,
    order: [...order, ...extraNodes.map((n) => n.id)],
    nodes,
    parent_map: parentMap,
    child_map: childMap,
  }
}

/** A node with its columns' lineage: a model's columns in select order with `depends_on`, a source's known columns. */
function withLineage(node: ManifestNode, lineage: ProjectLineage | undefined): ManifestNode {
  if (!lineage) return node
  const model = lineage.models.get(node.id)
  const names = model ? [...model.columns.keys()] : (lineage.sourceColumns.get(node.id) ?? [])
  const columns: Record<string, ManifestColumn> = {}
  for (const name of names) columns[name] = { ...(node.columns[name] ?? { tests: [] }), ...(model ? { depends_on: model.columns.get(name)! } : {}) }
  for (const [name, spec] of Object.entries(node.columns)) columns[name] ??= spec
  return { ...node, columns, ...(model ? { depends_on_columns: model.filters } : {}) }
}

function describeRelation(relation: AnyRelation, compiled: CompiledProject): ManifestNode {
  const node = compiled.get(relation.id)
  const ephemeral = relation.kind === 'model' && relation.materialized === 'ephemeral'
  const columns: Record<string, ManifestColumn> = {}
  for (const [name, spec] of Object.entries(relation.columns as Record<string, { description?: string; tests?: readonly unknown[] } | undefined>)) {
    columns[name] = { ...(spec?.description === undefined ? {} : { description: spec.description }), tests: plain(spec?.tests ?? []) }
  }
  return {
    id: relation.id,
    kind: relation.kind,
    name: relation.name,
    relation: node && !ephemeral ? qualifiedName(node.relation.schema, node.relation.name) : null,
    schema: node && !ephemeral ? node.relation.schema : null,
    materialized: relation.kind === 'model' ? relation.materialized : null,
    description: relation.description ?? null,
    tags: [...relation.tags],
    columns,
    tests: plain(relation.tests),
    depends_on: relation.kind === 'model' ? [...new Set(Object.values(relation.from as Dependencies).map((d) => d.id))].sort() : [],
    sql: node?.sql ?? null,
    file: relation.kind === 'model' ? (relation.file ?? null) : null,
    ...(relation.kind === 'model' && relation.incremental ? { incremental: plain(relation.incremental) } : {}),
  }
}

/** JSON-safe copy: functions dropped, a model or source referenced inside (e.g. a relationships test's target) replaced by its id. */
function plain<T>(value: T): T extends readonly unknown[] ? unknown[] : unknown {
  const replacer = (key: string, v: unknown) => (key !== '' && (isModel(v) || isSource(v)) ? v.id : typeof v === 'function' ? undefined : v)
  return JSON.parse(JSON.stringify(value ?? null, replacer)) as never
}

/**
 * Adds the warehouse's column list and SQL types to the manifest's sources and built models, in
 * column order (documented columns that the relation lacks are kept at the end).
 */
export function withColumnTypes(manifest: Manifest, types: ReadonlyMap<string, readonly { name: string; type: string }[]>): Manifest {
  const nodes: Record<string, ManifestNode> = {}
  for (const [id, node] of Object.entries(manifest.nodes)) {
    const found = node.schema === null ? undefined : types.get(`${node.schema}.${node.name}`)
    if (!found) {
      nodes[id] = node
      continue
    }
    const columns: Record<string, ManifestColumn> = {}
    for (const column of found) columns[column.name] = { ...(node.columns[column.name] ?? { tests: [] }), data_type: column.type }
    for (const [name, spec] of Object.entries(node.columns)) columns[name] ??= spec
    nodes[id] = { ...node, columns }
  }
  return { ...manifest, nodes }
}
