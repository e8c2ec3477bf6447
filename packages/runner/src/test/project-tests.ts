import { EltError, ExitCode, importModule } from '@elt/core'
import type { ExtraManifestNode, ManifestTestFields } from '../artifacts/manifest.ts'
import type { ProjectPlan } from '../compile/plan-project.ts'
import { isCustomTest, type CustomTest } from '../define/data-test.ts'
import type { Relation, SourceRelation } from '../define/relation.ts'
import type { NodeResult } from '../record/node-result.ts'
import type { CompiledTest, CompileTestsOptions, TableLocation } from './compiled-test.ts'
import { compileTests } from './compile-tests.ts'
import { testNodeId } from './select-tests.ts'
import type { TestResult } from './test-results-store.ts'

/** Custom tests (`defineTest`) among a module's exports: named exports, arrays and records of them. */
export function collectCustomTests(exports: unknown): CustomTest<any>[] {
  const found = new Map<string, CustomTest<any>>()
  const visit = (value: unknown, depth: number): void => {
    if (isCustomTest(value)) {
      const existing = found.get(value.id)
      if (existing && existing !== value) {
        throw new EltError(`Two custom tests are named ${value.name}.`, { hint: 'Give every defineTest a unique name.', exitCode: ExitCode.usage })
      }
      found.set(value.id, value)
      return
    }
    if (depth > 2 || value === null || typeof value !== 'object') return
    for (const item of Array.isArray(value) ? value : Object.values(value)) visit(item, depth + 1)
  }
  visit(exports, 0)
  return [...found.values()]
}

/** Imports the project module (the same one `loadProject` reads; ESM caches it) and collects its custom tests. */
export async function loadCustomTests(modulePath: string): Promise<CustomTest<any>[]> {
  return collectCustomTests(await importModule(modulePath))
}

/**
 * Compiles every test of a planned project (all nodes, not only the selected ones — selection is
 * {@link selectTests}'s job), locating each relation where the plan builds it.
 *
 * ```ts
 * const tests = compileProjectTests(plan, await loadCustomTests(modulePath))
 * tests.map((t) => t.id) // ['not_null_stg_films_film_id', 'unique_stg_films_film_id', …]
 * ```
 */
export function compileProjectTests(
  plan: ProjectPlan,
  customTests: readonly CustomTest<any>[] = [],
  options: Pick<CompileTestsOptions, 'sampleSize' | 'loadAge'> = {},
): CompiledTest[] {
  const locate = (relation: Relation<any>): TableLocation =>
    plan.compiled.get(relation.id)?.relation ??
    (relation.kind === 'source' ? { schema: (relation as SourceRelation).schema, name: relation.name } : { schema: plan.target.schema, name: relation.name })
  const relations = [...plan.project.sources.values(), ...plan.project.models.values()]
  return compileTests(relations, customTests, { ...options, locate })
}

/**
 * Tests as `target/manifest.json` nodes (kind `test`, the nodes they read as parents, the SQL of their
 * failing rows, and exactly the {@link ManifestTestFields} the schema's `testNode` lists).
 */
export function testManifestNodes(tests: readonly CompiledTest[]): ExtraManifestNode[] {
  return tests.map((test) => {
    const fields: ManifestTestFields = {
      test_type: test.type,
      tested_node: test.nodeId,
      column: test.column,
      severity: test.severity,
      warn_if: test.warnIf,
      error_if: test.errorIf,
      to_node: test.references?.nodeId ?? null,
      to_column: test.references?.column ?? null,
    }
    return { id: testNodeId(test), kind: 'test', name: test.id, depends_on: [...test.parents], tags: [...test.tags], sql: test.sql, ...fields }
  })
}

/**
 * Test results as `run_results.json` entries: `pass`/`warn` → `success`, `fail`/`error` → `error`,
 * with the failure count, and the test status first in the message (`warn: 3 failing rows`).
 */
export function testNodeResults(results: readonly TestResult[], finishedAt = new Date()): NodeResult[] {
  return results.map((r) => ({
    id: testNodeId(r),
    name: r.id,
    kind: 'test',
    materialized: null,
    status: r.status === 'pass' || r.status === 'warn' ? 'success' : 'error',
    startedAt: new Date(finishedAt.getTime() - r.seconds * 1000),
    finishedAt,
    seconds: r.seconds,
    rowsAffected: null,
    failures: r.failures,
    message: `${r.status}: ${r.message ?? (r.failures === null ? 'did not run' : `${r.failures} failing`)}`,
    worker: null,
  }))
}
