import { EltError, ExitCode } from '@elt/core'
import type { SelectQueryBuilder } from 'kysely'
import type { AnyTest, ColumnTest, CustomTest, FreshnessTest, ModelTest, RowCountTest } from '../define/data-test.ts'
import type { Relation } from '../define/relation.ts'
import type { CompiledTest, CompileTestsOptions, Interpretation, TestType } from './compiled-test.ts'
import { compileCustomTest } from './compile-custom-test.ts'
import { loadAgeQuery } from './load-age.ts'
import { toInlineSql } from './sql-builder.ts'
import { testSql } from './test-sql.ts'
import { defaultSampleSize, ruleOf } from './test-rule.ts'

/** A relation that can carry tests: a model or a source, possibly ephemeral. */
type Testable = Relation<any> & { materialized?: string; schema?: string }

/** `film_ratings` for a model, `raw.films` for a source. */
export function displayName(relation: Testable): string {
  return relation.kind === 'source' && relation.schema ? `${relation.schema}.${relation.name}` : relation.name
}

/** The `<prefix><model>` part of an id: `film_ratings`, `source_…_raw_films`. */
function idStem(relation: Testable): { prefix: string; model: string } {
  return relation.kind === 'source' ? { prefix: 'source_', model: `${relation.schema ?? ''}_${relation.name}` } : { prefix: '', model: relation.name }
}

function usage(message: string, hint: string): EltError {
  return new EltError(message, { hint, exitCode: ExitCode.usage })
}

/** `'not_null'` → `notNull()`; objects pass through; anything else is a usage error. */
function normalise(test: ColumnTest<any, any> | ModelTest<any>, where: string): AnyTest {
  if (test === 'not_null' || test === 'unique') return { kind: test, options: {} }
  if (typeof test === 'object' && test !== null && typeof (test as AnyTest).kind === 'string') return test as AnyTest
  throw usage(`${where} declares an unknown test ${JSON.stringify(test)}.`, "Use 'not_null', 'unique' or a helper such as acceptedValues([...]) from @elt/runner.")
}

/** The test id: dbt-like, stable across runs. */
function baseId(test: AnyTest, relation: Testable, column: string | null): string {
  const { prefix, model } = idStem(relation)
  const on = column === null ? model : `${model}_${column}`
  switch (test.kind) {
    case 'relationships':
      return `${prefix}relationships_${on}__${test.field}__${test.to?.kind === 'source' ? `${(test.to as Testable).schema}_` : ''}${test.to?.name}`
    case 'unique_combination':
      return `${prefix}unique_combination_${model}_${test.columns.join('__')}`
    case 'freshness':
      return `${prefix}freshness_${test.column === undefined ? model : `${model}_${test.column}`}`
    case 'expression':
      return `${prefix}expression_${on}${test.label ? `_${test.label.replace(/\W+/g, '_').toLowerCase()}` : ''}`
    default:
      return `${prefix}${test.kind}_${on}`
  }
}

const ageUnits = { m: 60, h: 3600, d: 86400 } as const
function ageSeconds(age: string | undefined, testId: string): number | undefined {
  if (age === undefined) return undefined
  const match = /^(\d+(?:\.\d+)?)([mhd])$/.exec(age)
  if (!match) throw usage(`Test ${testId} has an invalid age "${age}".`, "Write a number and a unit: '30m', '12h' or '2d'.")
  return Number(match[1]) * ageUnits[match[2] as keyof typeof ageUnits]
}

const countFailures = (value: unknown): Interpretation => ({ failures: Number(value ?? 0) })

function rowCountInterpretation(test: RowCountTest<any>) {
  return (value: unknown): Interpretation => {
    const n = Number(value)
    const low = test.min !== undefined && n < test.min
    const high = test.max !== undefined && n > test.max
    const expected = [test.min !== undefined ? `≥ ${test.min}` : '', test.max !== undefined ? `≤ ${test.max}` : ''].filter(Boolean).join(' and ')
    return { failures: low || high ? 1 : 0, message: `${n} rows (expected ${expected})` }
  }
}

function freshnessInterpretation(test: FreshnessTest<any>, testId: string) {
  const warnAfter = ageSeconds(test.warnAfter, testId)
  const errorAfter = ageSeconds(test.errorAfter, testId)
  if (warnAfter === undefined && errorAfter === undefined) {
    throw usage(`Freshness test ${testId} sets neither warnAfter nor errorAfter.`, "Add e.g. warnAfter: '12h', errorAfter: '2d'.")
  }
  return (value: unknown): Interpretation => {
    if (value === null || value === undefined) {
      const what = test.column === undefined ? 'no successful load is recorded' : `${test.column} has no value`
      return { failures: 1, status: errorAfter === undefined ? 'warn' : 'fail', message: `${what}, so its age is unknown` }
    }
    const age = Number(value)
    const message = `last ${test.column === undefined ? 'load' : test.column} ${formatAge(age)} ago`
    if (errorAfter !== undefined && age > errorAfter) return { failures: 1, status: 'fail', message: `${message} (error after ${test.errorAfter})` }
    if (warnAfter !== undefined && age > warnAfter) return { failures: 1, status: 'warn', message: `${message} (warn after ${test.warnAfter})` }
    return { failures: 0, status: 'pass', message }
  }
}

function formatAge(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`
  if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h`
  return `${(seconds / 86400).toFixed(1)} d`
}

function validate(test: AnyTest, id: string): void {
  if (test.kind === 'accepted_values' && test.values.length === 0) throw usage(`Test ${id} accepts no values.`, 'List at least one accepted value.')
  if (test.kind === 'accepted_range' && test.bounds.min === undefined && test.bounds.max === undefined) {
    throw usage(`Test ${id} sets neither min nor max.`, 'Give acceptedRange a min, a max or both.')
  }
  if (test.kind === 'relationships' && (typeof test.to?.id !== 'string' || typeof test.field !== 'string' || test.field === '')) {
    throw usage(`Test ${id} does not point at a model or source column.`, "Write relationships(stgFilms, 'film_id') with the imported model or source.")
  }
  if (test.kind === 'unique_combination' && test.columns.length === 0) throw usage(`Test ${id} lists no columns.`, 'Name at least one column.')
}

/** Tests whose id was given by `name` (a collision with them is an error, not a suffix). */
const named = new WeakSet<CompiledTest>()

function compileOne(relation: Testable, test: AnyTest, column: string | null, options: CompileTestsOptions): CompiledTest {
  const id = test.options.name ?? baseId(test, relation, column)
  validate(test, id)
  const location = options.locate(relation)
  const parents = [relation.id]
  if (test.kind === 'relationships' && test.to.id !== relation.id) parents.push(test.to.id)
  const sql = testSql(test, column, {
    relation: location,
    ...(test.options.where ? { where: test.options.where } : {}),
    ...(test.kind === 'relationships' ? { parent: options.locate(test.to) } : {}),
    ...(test.kind === 'freshness' && test.column === undefined ? { loadAgeQuery: (options.loadAge ?? loadAgeQuery)(location) } : {}),
  })
  const interpret =
    test.kind === 'row_count' ? rowCountInterpretation(test) : test.kind === 'freshness' ? freshnessInterpretation(test, id) : countFailures
  const compiled: CompiledTest = {
    id,
    type: test.kind as TestType,
    nodeId: relation.id,
    model: displayName(relation),
    column,
    ...ruleOf(test.options, id, options.sampleSize ?? defaultSampleSize),
    ...(test.kind === 'relationships' ? { references: { nodeId: test.to.id, column: test.field } } : {}),
    parents,
    relation: location,
    measure: sql.measure,
    interpret,
    ...(sql.failingRows ? { failingRows: sql.failingRows } : {}),
    sql: toInlineSql((sql.failingRows ?? sql.measureOnly) as SelectQueryBuilder<any, any, any>),
  }
  if (test.kind === 'freshness' && test.column === undefined) {
    compiled.hint = 'This freshness test reads the load records of `pnpm elt replicate` (_elt.table_loads): replicate first, or give the test a timestamp column.'
  }
  if (test.options.name !== undefined) named.add(compiled)
  return compiled
}

/**
 * Compiles the tests declared on one model or source (`columns.*.tests` and `tests`).
 * Bad declarations throw a usage error (exit 2) before anything runs.
 *
 * ```ts
 * compileRelationTests(filmRatings, { locate: (r) => ({ schema: 'analytics', name: r.name }) })
 * // [{ id: 'not_null_film_ratings_film_id', measure: { kind: 'scan', … }, sql: 'select "t".* from "analytics"."film_ratings" as "t" where "t"."film_id" is null' }, …]
 * ```
 */
export function compileRelationTests(relation: Testable, options: CompileTestsOptions): CompiledTest[] {
  const declared: { test: AnyTest; column: string | null }[] = []
  const where = relation.kind === 'source' ? `Source ${displayName(relation)}` : `Model ${relation.name}`
  for (const [column, spec] of Object.entries((relation.columns ?? {}) as Record<string, { tests?: readonly ColumnTest<any, any>[] } | undefined>)) {
    for (const test of spec?.tests ?? []) declared.push({ test: normalise(test, `${where}, column ${column},`), column })
  }
  for (const test of relation.tests ?? []) declared.push({ test: normalise(test, where), column: null })
  if (declared.length > 0 && relation.materialized === 'ephemeral') {
    throw usage(`Model ${relation.name} is ephemeral (it has no table), so its ${declared.length} test(s) cannot run.`, 'Materialize it as a view or table, or move the tests to a model that reads it.')
  }
  return declared.map(({ test, column }) => compileOne(relation, test, column, options))
}

/**
 * Compiles the tests of every relation plus the custom tests, checking that ids are unique:
 * generated ids that collide get `_2`, `_3`…; a collision with an explicit `name` is a usage error.
 */
export function compileTests(
  relations: Iterable<Testable>,
  customTests: Iterable<CustomTest<any>>,
  options: CompileTestsOptions,
): CompiledTest[] {
  const all: CompiledTest[] = []
  const seen = new Set<string>()
  const add = (test: CompiledTest, explicit: boolean) => {
    explicit ||= named.has(test)
    if (seen.has(test.id)) {
      if (explicit) throw usage(`Two tests have the id ${test.id}.`, 'Give one of them a different `name`.')
      let n = 2
      while (seen.has(`${test.id}_${n}`)) n++
      test = { ...test, id: `${test.id}_${n}` }
    }
    seen.add(test.id)
    all.push(test)
  }
  for (const relation of relations) {
    const tests = compileRelationTests(relation, options)
    for (const test of tests) add(test, false)
  }
  for (const custom of customTests) add(compileCustomTest(custom, options), true)
  return all
}
