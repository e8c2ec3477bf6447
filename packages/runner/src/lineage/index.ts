/** Column lineage: the visitor over models' query trees, its project-wide result, and what reads it. */
export * from './column-dependency.ts'
export { computeLineage, modelLineage, type SourceColumns } from './compute-lineage.ts'
export { QueryLineageVisitor, type LineageBase } from './query-lineage-visitor.ts'
