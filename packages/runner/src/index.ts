// define
export type {
  Relation,
  SourceRelation,
  ModelRelation,
  AnyRelation,
  Dependencies,
  Materialization,
  ColumnSpecs,
  IncrementalSpec,
  RowOf,
} from './define/relation.ts'
export { isModel, isSource } from './define/relation.ts'
export { defineSource, type SourceDefinition } from './define/define-source.ts'
export { defineModel, type ModelDefinition, type TablesOf, type Simplify } from './define/define-model.ts'
export { collectProject, loadProject, type Project } from './define/project.ts'
// graph
export { buildGraph, findCycle, topologicalOrder, reachable, type ModelGraph } from './graph/build-graph.ts'
// select
export { parseSelectors, type SelectionCriterion, type SelectionExpression } from './select/parse-selector.ts'
export { selectNodes, builtinSelectorMethods, type SelectContext, type SelectOptions, type SelectorMethod } from './select/select-nodes.ts'
export { sourceLoaders, type SourceLoader, type SourceLoaders, type SourceSpec } from './select/source-loaders.ts'
// compile
export { compileModel, compileOnlyDb, ephemeralCteName } from './compile/compile-model.ts'
export { compileProject, type BuildTarget, type CompiledNode, type CompiledProject } from './compile/compile-project.ts'
export { planProject, type ProjectPlan } from './compile/plan-project.ts'
// execute (materialize)
export { materializeModel, materializeView, materializeTable, materializeIncremental } from './materialize/materialize-model.ts'
export { executeModels, type AfterBuildHook, type ExecutionEvent, type ExecuteOptions, type ExecutionOutcome } from './execute/execute-models.ts'
export { buildProject, type BuildProjectOptions, type BuildProjectResult } from './execute/build-project.ts'
// record
export type { NodeResult, NodeStatus } from './record/node-result.ts'
export { migrateRunner, recordNodeResult, recordManifest } from './record/model-results.ts'
export { listRuns, runDetails, nodeHistory, runManifest, type RunSummary, type NodeRun } from './record/history.ts'
export {
  buildManifest,
  isTestNode,
  manifestSchemaVersion,
  type Manifest,
  type ManifestNode,
  type ManifestTestFields,
  type ManifestTestNode,
  type ExtraManifestNode,
} from './artifacts/manifest.ts'
export { buildRunResults, runResultsSchemaVersion, type RunResults } from './artifacts/run-results.ts'
export { writeArtifact } from './artifacts/write-artifacts.ts'

export * from './lineage/index.ts'
// catalog
export { readColumns, type CatalogColumn, type ColumnSelection } from './catalog/read-columns.ts'
// codegen
export { introspectTables, type IntrospectedTable, type IntrospectedColumn } from './codegen/introspect-tables.ts'
export { renderRawTypes, sourceColumnsFrom, tsTypeOf, typeNameOf, type RawColumnLists } from './codegen/render-raw-types.ts'
export * from './define/data-test.ts'
export * from './test/index.ts'
