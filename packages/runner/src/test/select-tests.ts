import type { AnyRelation } from '../define/relation.ts'
import type { ModelGraph } from '../graph/build-graph.ts'
import { selectNodes, type SelectOptions, type SelectorMethod } from '../select/select-nodes.ts'
import type { CompiledTest } from './compiled-test.ts'

/** The graph node id of a test: `test.<test id>`. */
export const testNodeId = (test: Pick<CompiledTest, 'id'>) => `test.${test.id}`

/** A test as a selectable node: its id is its `name`; its tags are its own plus its tested node's. */
interface TestNode {
  kind: 'test'
  id: string
  name: string
  tags: readonly string[]
  testType: string
}

const asTestNode = (r: unknown): TestNode | undefined => ((r as TestNode).kind === 'test' ? (r as TestNode) : undefined)

/** `test_type:relationships`, `test_name:unique_*`: methods that match test nodes only. */
export const testSelectorMethods: Record<string, SelectorMethod> = {
  test_type: (r, _v, matches) => {
    const test = asTestNode(r)
    return test !== undefined && matches(test.testType)
  },
  test_name: (r, _v, matches) => {
    const test = asTestNode(r)
    return test !== undefined && matches(test.name)
  },
}

/**
 * Chooses tests with dbt's selection syntax, on the project graph plus one node per test
 * (an edge from each node the test reads). A test is selected when it matches itself
 * (`test_type:unique`, `tag:nightly`, its id) or when any node it reads is selected (dbt's
 * "eager" indirect selection: `--select stg_films` runs stg_films' tests); it is left out
 * when it, or any node it reads, is excluded.
 *
 * ```ts
 * selectTests(graph, tests, { select: ['film_ratings'], exclude: ['test_type:accepted_range'] })
 * ```
 */
export function selectTests(
  graph: ModelGraph,
  tests: readonly CompiledTest[],
  selection: Pick<SelectOptions, 'select' | 'exclude' | 'sources' | 'lineage'> = {},
): CompiledTest[] {
  const withTests = graph.copy() as ModelGraph
  for (const test of tests) {
    // As in dbt, a test carries the tags of the node it tests, so `tag:staging,test_type:unique` works.
    const inherited = withTests.hasNode(test.nodeId) ? withTests.getNodeAttribute(test.nodeId, 'relation').tags : []
    const node: TestNode = { kind: 'test', id: testNodeId(test), name: test.id, tags: [...new Set([...test.tags, ...inherited])], testType: test.type }
    withTests.addNode(node.id, { relation: node as unknown as AnyRelation })
    for (const parent of test.parents) if (withTests.hasNode(parent)) withTests.addDirectedEdge(parent, node.id)
  }
  const hits = (selectors: readonly string[]) => new Set(selectNodes(withTests, { select: selectors, methods: testSelectorMethods, ...(selection.sources ? { sources: selection.sources } : {}), ...(selection.lineage ? { lineage: selection.lineage } : {}) }))
  const touches = (set: Set<string>, test: CompiledTest) => set.has(testNodeId(test)) || test.parents.some((p) => set.has(p))
  const selected = selection.select?.some((s) => s.trim()) ? hits(selection.select) : undefined
  const excluded = selection.exclude?.some((s) => s.trim()) ? hits(selection.exclude) : new Set<string>()
  return tests.filter((test) => (selected === undefined || touches(selected, test)) && !touches(excluded, test))
}
