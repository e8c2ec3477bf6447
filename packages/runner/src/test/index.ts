/**
 * Data tests: compile the declarations of `define/data-test.ts` to SQL, run them with as few scans
 * as possible, keep every result.
 *
 * - `compileTests` / `compileProjectTests`: declarations → `CompiledTest` (stable id, rule, the SQL
 *   measuring it, the select of its failing rows). Bad declarations are usage errors before anything runs.
 * - `selectTests`: dbt selection over the project graph plus one node per test (`test_type:`, `test_name:`,
 *   tags inherited from the tested node, eager selection through every node a test reads).
 * - `planTests` / `runTests`: per relation one scan for every row-condition test (`count(*) filter (where …)`)
 *   and one `grouping sets` pass for its `unique` tests; severity and thresholds as in dbt; failing-row
 *   samples into `_elt_audit.test_failures`; results into `_elt.test_results`.
 * - `createDataTestHook`: runs tests inside a build, right after the models they read.
 * - `testHistory` / `testStats` / `failRate` / `latestFailureSample`: the read API for the dashboard.
 */
export type { CompiledTest, CompileTestsOptions, TestType, TestMeasure, TableLocation, Interpretation } from './compiled-test.ts'
export { compileTests, compileRelationTests, displayName } from './compile-tests.ts'
export { defaultSampleSize } from './test-rule.ts'
export { compileCustomTest } from './compile-custom-test.ts'
export { planTests, type TestBatch } from './plan-tests.ts'
export { runTests, overallStatus, blocksDescendants, type RunTestsOptions, type TestRun } from './run-tests.ts'
export { migrateTestResults, recordTestResults, storeFailureSample, auditSchema, testResultMigrations, type TestResult } from './test-results-store.ts'
export { parseThreshold, statusOf, type TestStatus } from './threshold.ts'
export { loadAgeQuery } from './load-age.ts'
export { toInlineSql } from './sql-builder.ts'
export { selectTests, testSelectorMethods, testNodeId } from './select-tests.ts'
export { collectCustomTests, loadCustomTests, compileProjectTests, testManifestNodes, testNodeResults } from './project-tests.ts'
export { createDataTestHook, type DataTestHook } from './test-hook.ts'
export { testHistory, testStats, failRate, latestFailureSample, type TestHistoryEntry, type TestHistoryFilter, type TestStats } from './test-history.ts'
