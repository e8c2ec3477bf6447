import type pg from 'pg'
import type { AfterBuildHook } from '../execute/execute-models.ts'
import { reachable, type ModelGraph } from '../graph/build-graph.ts'
import type { CompiledTest } from './compiled-test.ts'
import { testNodeResults } from './project-tests.ts'
import { blocksDescendants, runTests, type RunTestsOptions } from './run-tests.ts'
import type { TestResult } from './test-results-store.ts'

/** Data tests wired into a build: see {@link createDataTestHook}. */
export interface DataTestHook {
  /** Pass to `buildProject({ afterBuild })`. */
  afterBuild: AfterBuildHook
  /** Every result so far, in the order the tests finished. */
  readonly results: TestResult[]
  /**
   * Runs the tests still waiting (tests of sources, custom tests reading only sources); call after
   * the build. With `destination` (the database `client` is connected to) the run is watched for a
   * stalled connection (the tests run after a model's build are watched with its build).
   */
  finish(client: pg.ClientBase, watch?: Pick<RunTestsOptions, 'destination' | 'stallSeconds'>): Promise<TestResult[]>
  /** Tests that never ran because a node they read failed or was skipped. */
  notRun(): CompiledTest[]
}

/**
 * Runs each test as soon as every node it reads is available: right after the model it tests builds,
 * or, for a relationships or custom test, after the last of its models in this build finished.
 * Nodes not built by this build (sources, ephemeral and unselected models) count as available.
 *
 * Which failures skip descendants is decided by the graph, never by timing: a model reports `failed`
 * (so the executor skips its descendants) when one of its *gating* tests fails or errors with severity
 * `error`. A test gates the model it tests when everything else it reads is an ancestor of that model
 * (always built before it) or not part of this build. A relationships test to a model built in
 * parallel (e.g. `stg_film_actors.film_id` → `stg_films`) and custom tests run once both exist and
 * fail the run, but cannot stop descendants that may already be building.
 *
 * ```ts
 * const hook = createDataTestHook(tests, plan.graph, plan.selected, { runId })
 * await buildProject({ plan, runId, afterBuild: hook.afterBuild, … })
 * await hook.finish(client)
 * ```
 */
export function createDataTestHook(
  tests: readonly CompiledTest[],
  graph: ModelGraph,
  building: Iterable<string>,
  options: Omit<RunTestsOptions, 'oneQueryPerTest'> = {},
): DataTestHook {
  // only models are built (and call afterBuild); sources and ephemeral models are always "available"
  const inBuild = new Set(
    [...building].filter((id) => {
      const relation = graph.hasNode(id) ? graph.getNodeAttribute(id, 'relation') : undefined
      return relation?.kind === 'model' && relation.materialized !== 'ephemeral'
    }),
  )
  const built = new Set<string>()
  const pending = new Set(tests)
  const results: TestResult[] = []
  const gating = new Set(
    tests
      .filter((t) => graph.hasNode(t.nodeId))
      .filter((t) => {
        const ancestors = reachable(graph, t.nodeId, 'up')
        return t.parents.every((p) => p === t.nodeId || ancestors.has(p) || !inBuild.has(p))
      })
      .map((t) => t.id),
  )
  const ready = () => [...pending].filter((t) => t.parents.every((p) => !inBuild.has(p) || built.has(p)))

  const run = async (client: pg.ClientBase, chosen: CompiledTest[], watch: Pick<RunTestsOptions, 'destination' | 'stallSeconds'> = {}) => {
    for (const test of chosen) pending.delete(test)
    if (chosen.length === 0) return []
    const run = await runTests(client, chosen, { ...options, ...watch })
    results.push(...run.results)
    return run.results
  }

  return {
    results,
    async afterBuild(node, client) {
      built.add(node.id)
      const ran = await run(client, ready())
      const own = ran.filter((r) => r.nodeId === node.id && gating.has(r.id))
      return { failed: blocksDescendants(own), results: testNodeResults(ran) }
    },
    finish: (client, watch) => run(client, ready(), watch),
    notRun: () => [...pending],
  }
}
