/** Column lineage: the visitor over models' query trees, its project-wide result, and what reads it. */
export * from './column-dependency.ts'
export { computeLineage, modelLineage, type SourceColumns } from './compute-lineage.ts'
export { QueryLineageVisitor, type LineageBase } from './query-lineage-visitor.ts'
export { ColumnGraph, type ColumnRef, type ColumnUse, type LineageEntry } from './column-graph.ts'
export { upstreamTree, downstreamTree, columnPath, impactedNodes, type LineageTree, type ColumnOrigin, type ColumnPathEdge, type TraceOptions } from './trace-column.ts'
export { parseColumnRef } from './parse-column-ref.ts'
export {
  openLineageEvents,
  transformationOf,
  openLineageProducer,
  openLineageSchemaURL,
  type OpenLineageRunEvent,
  type OpenLineageDataset,
  type OpenLineageInputField,
  type OpenLineageTransformation,
  type OpenLineageOptions,
} from './openlineage-events.ts'
export { postOpenLineageEvents, type PostOpenLineageOptions, type PostOpenLineageResult } from './post-openlineage.ts'
export { diffLineage, type LineageManifest, type ModelLineageChange } from './lineage-diff.ts'
