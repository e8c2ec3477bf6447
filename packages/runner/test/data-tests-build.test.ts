import type {} from '@elt/core/testing/global-setup'
import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startRun } from '@elt/core'
import { Ajv } from 'ajv'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import manifestSchema from '../schemas/manifest.schema.json' with { type: 'json' }
import runResultsSchema from '../schemas/run-results.schema.json' with { type: 'json' }
import {
  buildProject,
  collectProject,
  compileProjectTests,
  createDataTestHook,
  defineModel,
  defineSource,
  defineTest,
  notNull,
  planProject,
  relationships,
  selectTests,
  testManifestNodes,
} from '../src/index.ts'

/** Tests run by the executor right after each model builds; a failing error-severity test skips descendants. */
let db: TestDatabase
const connect = async () => {
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  return client
}

type Parent = { id: number }
type Child = { id: number; parent_id: number | null }
const parents = defineSource<Parent>({ schema: 'src', name: 'parents' })
const children = defineSource<Child>({ schema: 'src', name: 'children', columns: { id: { tests: ['unique'] } } }) // run by finish()

function project(severity: 'error' | 'warn') {
  const mParents = defineModel({
    name: 'm_parents',
    materialized: 'table',
    from: { parents },
    query: (q) => q.selectFrom('parents').select('id'),
    columns: { id: { tests: ['unique'] } },
  })
  // reads only src.children: the relationships test must wait for m_parents, built by another worker
  const mChildren = defineModel({
    name: 'm_children',
    materialized: 'view',
    from: { children },
    query: (q) => q.selectFrom('children').select(['id', 'parent_id']),
    columns: { parent_id: { tests: [notNull({ severity }), relationships(mParents, 'id', { tags: ['nightly'] })] } },
  })
  const mDownstream = defineModel({
    name: 'm_downstream',
    from: { c: mChildren },
    query: (q) => q.selectFrom('c').select('id'),
  })
  // reads both: its relationships test to m_parents (an ancestor) gates m_leaf
  const mGrand = defineModel({
    name: 'm_grand',
    from: { c: mChildren, p: mParents },
    query: (q) => q.selectFrom('c').leftJoin('p', 'p.id', 'c.parent_id').select(['c.id', 'c.parent_id']),
    columns: { parent_id: { tests: [relationships(mParents, 'id')] } },
  })
  const mLeaf = defineModel({ name: 'm_leaf', from: { g: mGrand }, query: (q) => q.selectFrom('g').select('id') })
  const everyChildHasAParent = defineTest({
    name: 'every_child_counted',
    from: { c: mChildren, p: mParents },
    query: (q) => q.selectFrom('c').leftJoin('p', 'p.id', 'c.parent_id').select(['c.id']).where('p.id', 'is', null).where('c.parent_id', 'is not', null),
  })
  return { models: { mParents, mChildren, mDownstream, mGrand, mLeaf }, everyChildHasAParent }
}

async function build(severity: 'error' | 'warn', schema: string) {
  const { models, everyChildHasAParent } = project(severity)
  const plan = planProject(collectProject(models), { name: 'prod', schema })
  const tests = compileProjectTests(plan, [everyChildHasAParent])
  const control = await connect()
  try {
    const runId = await startRun(control, { command: 'build', runId: randomUUID() })
    const hook = createDataTestHook(tests, plan.graph, plan.selected, { runId })
    const artifactsDir = await mkdtemp(path.join(os.tmpdir(), 'elt-tests-build-'))
    const outcome = await buildProject({ plan, runId, control, connect, threads: 2, afterBuild: hook.afterBuild, extraNodes: testManifestNodes(tests), artifactsDir })
    await hook.finish(control)
    const runResults = JSON.parse(await readFile(path.join(artifactsDir, 'run_results.json'), 'utf8'))
    const manifest = JSON.parse(await readFile(path.join(artifactsDir, 'manifest.json'), 'utf8'))
    return { outcome, hook, runResults, manifest, status: Object.fromEntries(outcome.results.map((r) => [r.name, r.status])) }
  } finally {
    await control.end()
  }
}

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'data_tests_build')
  await db.query(`
    create schema src;
    create table src.parents as select g as id from generate_series(1, 5) g;
    create table src.children (id int, parent_id int);
    insert into src.children values (1, 1), (2, 2), (3, null), (4, 9), (5, 5);
  `)
})
afterAll(() => db.drop())

describe('selecting tests', () => {
  it('uses dbt syntax with test methods, own and inherited tags, and eager parents', () => {
    const { models, everyChildHasAParent } = project('error')
    const plan = planProject(collectProject(models), { name: 'prod', schema: 'sel' })
    const tests = compileProjectTests(plan, [everyChildHasAParent])
    const ids = (select: string[], exclude: string[] = []) => selectTests(plan.graph, tests, { select, exclude }).map((t) => t.id).sort()
    expect(ids(['tag:nightly'])).toEqual(['relationships_m_children_parent_id__id__m_parents'])
    expect(ids(['m_parents'])).toEqual([
      'every_child_counted',
      'relationships_m_children_parent_id__id__m_parents',
      'relationships_m_grand_parent_id__id__m_parents',
      'unique_m_parents_id',
    ])
    expect(ids(['test_name:every_*', 'test_type:unique'])).toEqual(['every_child_counted', 'source_unique_src_children_id', 'unique_m_parents_id'])
    expect(ids([], ['m_children', 'source:src.children'])).toEqual(['relationships_m_grand_parent_id__id__m_parents', 'unique_m_parents_id'])
    expect(ids(['m_grand+'], ['test_type:relationships'])).toEqual([])
  })
})

describe('data tests in a build', () => {
  it('skips the descendants of a model whose gating error-severity test fails', async () => {
    const { status, hook, runResults, manifest } = await build('error', 'a1')
    expect(status).toEqual({ m_parents: 'success', m_children: 'error', m_downstream: 'skipped', m_grand: 'skipped', m_leaf: 'skipped' })
    const results = Object.fromEntries(hook.results.map((r) => [r.id, [r.status, r.failures]]))
    expect(results).toEqual({
      unique_m_parents_id: ['pass', 0],
      not_null_m_children_parent_id: ['fail', 1],
      relationships_m_children_parent_id__id__m_parents: ['fail', 1], // ran once m_parents existed: 9 has no parent
      every_child_counted: ['fail', 1],
      source_unique_src_children_id: ['pass', 0],
    })
    expect(hook.notRun().map((t) => t.id)).toEqual(['relationships_m_grand_parent_id__id__m_parents']) // m_grand was skipped
    // tests are in run_results.json and in the manifest with their parents
    const entry = runResults.results.find((r: { id: string }) => r.id === 'test.not_null_m_children_parent_id')
    expect(entry).toMatchObject({ kind: 'test', status: 'error', failures: 1, message: 'fail: 1 failing' })
    expect(manifest.nodes['test.relationships_m_children_parent_id__id__m_parents']).toMatchObject({
      kind: 'test',
      depends_on: ['model.m_children', 'model.m_parents'],
      test_type: 'relationships',
      tested_node: 'model.m_children',
      column: 'parent_id',
      to_node: 'model.m_parents',
      to_column: 'id',
    })
    expect(manifest.nodes['test.every_child_counted']).toMatchObject({ test_type: 'custom', tested_node: 'test.every_child_counted', column: null, to_node: null, to_column: null })
    expect(manifest.child_map['model.m_parents']).toContain('test.relationships_m_children_parent_id__id__m_parents')
    // the artifacts, tests included, still match their committed JSON Schemas
    const ajv = new Ajv({ allErrors: true, validateFormats: false })
    expect(ajv.validate(manifestSchema, manifest), JSON.stringify(ajv.errors)).toBe(true)
    expect(ajv.validate(runResultsSchema, runResults), JSON.stringify(ajv.errors)).toBe(true)
    // test nodes are checked field by field: a key the runner does not write is an error
    const stray = { ...manifest, nodes: { ...manifest.nodes, 'test.every_child_counted': { ...manifest.nodes['test.every_child_counted'], field: 'id' } } }
    expect(ajv.validate(manifestSchema, stray)).toBe(false)
    expect(ajv.errors).toContainEqual(expect.objectContaining({ keyword: 'additionalProperties', params: { additionalProperty: 'field' } }))
    const stored = await db.query(`select test_id, status from _elt.test_results where run_id = $1 order by test_id`, [runResults.run_id])
    expect(stored).toHaveLength(5)
  })

  it('goes on when the failing test only warns, or reads a model that is not an ancestor', async () => {
    const { status, hook } = await build('warn', 'a2')
    // not_null only warns; the relationships test fails, but m_parents is built in parallel
    // with m_children (not its ancestor), so it cannot gate m_children's descendants
    // with m_grand, whose relationships test to its ancestor m_parents gates m_leaf
    expect(status).toEqual({ m_parents: 'success', m_children: 'success', m_downstream: 'success', m_grand: 'error', m_leaf: 'skipped' })
    expect(Object.fromEntries(hook.results.map((r) => [r.id, r.status]))).toMatchObject({
      not_null_m_children_parent_id: 'warn',
      relationships_m_children_parent_id__id__m_parents: 'fail',
      relationships_m_grand_parent_id__id__m_parents: 'fail',
    })

    await db.query(`update src.children set parent_id = 4 where id = 4`)
    const fixed = await build('warn', 'a3')
    expect(fixed.status).toEqual({ m_parents: 'success', m_children: 'success', m_downstream: 'success', m_grand: 'success', m_leaf: 'success' })
    expect(Object.fromEntries(fixed.hook.results.map((r) => [r.id, r.status]))).toEqual({
      unique_m_parents_id: 'pass',
      not_null_m_children_parent_id: 'warn',
      relationships_m_children_parent_id__id__m_parents: 'pass',
      relationships_m_grand_parent_id__id__m_parents: 'pass',
      every_child_counted: 'pass',
      source_unique_src_children_id: 'pass',
    })
  })
})
