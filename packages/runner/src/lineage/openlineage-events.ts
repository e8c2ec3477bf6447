import { randomUUID } from 'node:crypto'
import type { Manifest, ManifestNode } from '../artifacts/manifest.ts'
import type { ColumnDependency, FilterClause, FilterDependency } from './column-dependency.ts'

/** Where our events say they come from (`producer`, each facet's `_producer`). */
export const openLineageProducer = 'https://github.com/elt/elt/tree/main/packages/runner'
export const openLineageSchemaURL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent'
const columnLineageSchemaURL = 'https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet'
const schemaFacetURL = 'https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet'
const sqlFacetURL = 'https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet'

export interface OpenLineageTransformation {
  type: 'DIRECT' | 'INDIRECT'
  subtype: 'IDENTITY' | 'TRANSFORMATION' | 'AGGREGATION' | 'JOIN' | 'FILTER' | 'GROUP_BY' | 'SORT' | 'WINDOW' | 'CONDITIONAL'
  description?: string
  masking: boolean
}

export interface OpenLineageInputField {
  namespace: string
  name: string
  field: string
  transformations: OpenLineageTransformation[]
}

export interface OpenLineageDataset {
  namespace: string
  name: string
  facets?: Record<string, { _producer: string; _schemaURL: string; [key: string]: unknown }>
}

/** An OpenLineage `RunEvent` (spec 2-0-2). */
export interface OpenLineageRunEvent {
  eventType: 'START' | 'RUNNING' | 'COMPLETE' | 'ABORT' | 'FAIL' | 'OTHER'
  eventTime: string
  producer: string
  schemaURL: string
  run: { runId: string; facets?: Record<string, unknown> }
  job: { namespace: string; name: string; facets?: Record<string, unknown> }
  inputs: OpenLineageDataset[]
  outputs: OpenLineageDataset[]
}

export interface OpenLineageOptions {
  /** Job and dataset namespace (default `elt`). */
  namespace?: string
  /** Which models to describe (default every model that is not ephemeral). */
  models?: readonly string[]
  /** A model's event type (default `COMPLETE`); return undefined to leave the model out (not run). */
  eventTypeOf?: (id: string) => OpenLineageRunEvent['eventType'] | undefined
  eventTime?: Date
  /** A model's run id (default a new UUID each). */
  runIdOf?: (id: string) => string
}

/** Our kinds on OpenLineage's transformation types: values DIRECT, rows INDIRECT. */
export function transformationOf(dep: Exclude<ColumnDependency, { kind: 'opaque' }> | FilterDependency): OpenLineageTransformation {
  const t = (type: OpenLineageTransformation['type'], subtype: OpenLineageTransformation['subtype']): OpenLineageTransformation => ({ type, subtype, masking: false })
  if (dep.kind === 'filter') return t('INDIRECT', filterSubtypes[dep.clause])
  if (dep.kind === 'direct') return t('DIRECT', 'IDENTITY')
  if (dep.via === 'aggregate') return t('DIRECT', 'AGGREGATION')
  if (dep.via === 'window') return t('INDIRECT', 'WINDOW')
  if (dep.via === 'condition') return t('INDIRECT', 'CONDITIONAL')
  return t('DIRECT', 'TRANSFORMATION')
}

const filterSubtypes: Record<FilterClause, OpenLineageTransformation['subtype']> = {
  where: 'FILTER',
  having: 'FILTER',
  join: 'JOIN',
  group_by: 'GROUP_BY',
  distinct: 'GROUP_BY',
  order_by: 'SORT',
}

/**
 * One OpenLineage run event per built model, from the manifest: the job is the model, its inputs the
 * relations it reads (an ephemeral model's inputs in its place, since it is inlined), its output
 * the model's relation with the `schema` and `columnLineage` facets (each column's input fields;
 * filter, join, group and sort columns under `dataset`).
 *
 * ```ts
 * openLineageEvents(manifest, { namespace: 'elt' })[0].outputs[0].facets.columnLineage.fields.title
 * // { inputFields: [{ namespace: 'elt', name: 'analytics.stg_films', field: 'title', transformations: [{ type: 'DIRECT', subtype: 'IDENTITY', masking: false }] }] }
 * ```
 */
export function openLineageEvents(manifest: Pick<Manifest, 'nodes'>, options: OpenLineageOptions = {}): OpenLineageRunEvent[] {
  const namespace = options.namespace ?? 'elt'
  const eventTime = (options.eventTime ?? new Date()).toISOString()
  const datasetName = (node: ManifestNode) => `${node.schema ?? 'ephemeral'}.${node.name}`
  const isEphemeral = (id: string) => manifest.nodes[id]?.materialized === 'ephemeral'
  /** A dependency on an ephemeral model's column, replaced by what that column reads (kinds composed). */
  const throughEphemeral = (dep: ColumnDependency): Exclude<ColumnDependency, { kind: 'opaque' }>[] => {
    if (dep.kind === 'opaque') return []
    if (!isEphemeral(dep.node)) return [dep]
    return (manifest.nodes[dep.node]!.columns[dep.column]?.depends_on ?? []).flatMap(throughEphemeral).map((inner) =>
      dep.kind === 'direct' ? inner : { node: inner.node, column: inner.column, kind: 'derived' as const, ...((dep.via ?? inner.via) ? { via: dep.via ?? inner.via } : {}) },
    )
  }
  const filtersOf = (id: string): FilterDependency[] =>
    (manifest.nodes[id]?.depends_on_columns ?? []).flatMap((filter) =>
      isEphemeral(filter.node)
        ? [
            ...throughEphemeral({ node: filter.node, column: filter.column, kind: 'direct' }).map((d) => ({ ...filter, node: d.node, column: d.column })),
            ...filtersOf(filter.node),
          ]
        : [filter],
    )
  const field = (dep: { node: string; column: string }, transformation: OpenLineageTransformation): OpenLineageInputField => ({
    namespace,
    name: datasetName(manifest.nodes[dep.node]!),
    field: dep.column,
    transformations: [transformation],
  })
  const ids = options.models ?? Object.values(manifest.nodes).filter((n) => n.kind === 'model' && n.materialized !== 'ephemeral').map((n) => n.id)
  const events: OpenLineageRunEvent[] = []
  for (const id of ids) {
    const node = manifest.nodes[id]
    if (!node || node.kind !== 'model' || node.materialized === 'ephemeral') continue
    const eventType = options.eventTypeOf ? options.eventTypeOf(id) : 'COMPLETE'
    if (!eventType) continue
    const fields: Record<string, { inputFields: OpenLineageInputField[] }> = {}
    const inputs = new Set<string>()
    for (const [column, spec] of Object.entries(node.columns)) {
      const deps = (spec.depends_on ?? []).flatMap(throughEphemeral)
      for (const dep of deps) inputs.add(dep.node)
      fields[column] = { inputFields: deps.map((dep) => field(dep, transformationOf(dep))) }
    }
    const filters = filtersOf(id)
    for (const filter of filters) inputs.add(filter.node)
    const parents = node.depends_on.flatMap((parent) => (isEphemeral(parent) ? (manifest.nodes[parent]?.depends_on ?? []) : [parent]))
    for (const parent of parents) inputs.add(parent)
    const facet = { _producer: openLineageProducer }
    events.push({
      eventType,
      eventTime,
      producer: openLineageProducer,
      schemaURL: openLineageSchemaURL,
      run: { runId: options.runIdOf?.(id) ?? randomUUID() },
      job: { namespace, name: node.name, facets: node.sql ? { sql: { ...facet, _schemaURL: sqlFacetURL, query: node.sql } } : {} },
      inputs: [...inputs].filter((input) => manifest.nodes[input]).sort().map((input) => ({ namespace, name: datasetName(manifest.nodes[input]!) })),
      outputs: [
        {
          namespace,
          name: datasetName(node),
          facets: {
            schema: { ...facet, _schemaURL: schemaFacetURL, fields: Object.entries(node.columns).map(([name, spec]) => ({ name, ...(spec.data_type ? { type: spec.data_type } : {}) })) },
            columnLineage: { ...facet, _schemaURL: columnLineageSchemaURL, fields, dataset: filters.map((filter) => field(filter, transformationOf(filter))) },
          },
        },
      ],
    })
  }
  return events
}
