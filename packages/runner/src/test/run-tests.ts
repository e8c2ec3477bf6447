import { randomUUID } from 'node:crypto'
import { EltError, defaultStallSeconds, describeError, watchedClientStep, type DatabaseTarget } from '@elt/core'
import type pg from 'pg'
import type { CompiledTest } from './compiled-test.ts'
import { planTests, singleQuery, type TestBatch } from './plan-tests.ts'
import { toStatement } from './sql-builder.ts'
import { clearFailureSamples, migrateTestResults, recordTestResults, storeFailureSample, type TestResult } from './test-results-store.ts'
import { statusOf } from './threshold.ts'

export interface RunTestsOptions {
  /** Run id recorded with every result (the CLI passes its `_elt.runs` id). Default: a new UUID. */
  runId?: string
  /** Write results to `_elt.test_results` and samples to `_elt_audit` (default true). */
  record?: boolean
  /** dbt's way, for comparison: one query per test, no shared scans. */
  oneQueryPerTest?: boolean
  /** Called as each test finishes (for progress lines). */
  onResult?(result: TestResult): void
  /** Aborted: the run stops before the next batch, or after the batch it cancelled (the caller cancels its query), recording nothing. */
  signal?: AbortSignal
  /** The database `client` is connected to: with it, a run whose connection stops passing data without closing fails saying so (see `watchForStall`). */
  destination?: DatabaseTarget
  /** Seconds without a byte from the destination before the session is looked at (default 60). */
  stallSeconds?: number
}

export interface TestRun {
  runId: string
  results: TestResult[]
  /** `fail` if an error-severity test failed or any test errored, `warn` if any warned, else `pass`. */
  status: 'pass' | 'warn' | 'fail'
}

/** The overall status of a set of results (what decides the exit code). */
export function overallStatus(results: readonly TestResult[]): TestRun['status'] {
  if (results.some((r) => r.status === 'fail' || r.status === 'error')) return 'fail'
  return results.some((r) => r.status === 'warn') ? 'warn' : 'pass'
}

/** True when the results should mark the tested models failed: an error-severity test failed or errored. */
export function blocksDescendants(results: readonly TestResult[]): boolean {
  return results.some((r) => r.severity === 'error' && (r.status === 'fail' || r.status === 'error'))
}

function resultOf(test: CompiledTest, value: unknown, seconds: number): Omit<TestResult, 'sampled'> {
  const base = { id: test.id, type: test.type, nodeId: test.nodeId, model: test.model, column: test.column, severity: test.severity, sql: test.sql, tags: test.tags }
  const meaning = test.interpret(value)
  let status = meaning.status ?? statusOf(meaning.failures, test, test.id)
  if (status === 'fail' && test.severity === 'warn') status = 'warn'
  return { ...base, status, failures: meaning.failures, seconds, message: meaning.message ?? null }
}

function errorResult(test: CompiledTest, error: unknown, seconds: number): Omit<TestResult, 'sampled'> {
  const { id, type, nodeId, model, column, severity, sql, tags } = test
  const message = describeError(error) + (test.hint ? ` ${test.hint}` : '')
  return { id, type, nodeId, model, column, severity, sql, tags, status: 'error', failures: null, seconds, message }
}

async function measure(client: pg.ClientBase, batch: TestBatch): Promise<{ values: unknown[]; seconds: number }> {
  const statement = toStatement(batch.query)
  const started = performance.now()
  const { rows } = await client.query(statement.text, statement.values)
  const seconds = (performance.now() - started) / 1000
  const row = (rows[0] ?? {}) as Record<string, unknown>
  return { values: batch.tests.map((_, i) => row[`v${i}`]), seconds }
}

/** Runs a batch; if its shared query fails, each test runs alone so the error lands on the right one. */
async function runBatch(client: pg.ClientBase, batch: TestBatch): Promise<Omit<TestResult, 'sampled'>[]> {
  const started = performance.now()
  try {
    const { values, seconds } = await measure(client, batch)
    // A shared scan's time is split evenly between its tests, so the seconds add up to the run's.
    return batch.tests.map((test, i) => resultOf(test, values[i], seconds / batch.tests.length))
  } catch (error) {
    if (batch.tests.length === 1) return [errorResult(batch.tests[0] as CompiledTest, error, (performance.now() - started) / 1000)]
    const results: Omit<TestResult, 'sampled'>[] = []
    for (const test of batch.tests) results.push(...(await runBatch(client, { kind: 'single', tests: [test], query: singleQuery(test) })))
    return results
  }
}

/**
 * Runs compiled tests on the destination: shared scans per relation (see `planTests`),
 * thresholds and severity, failing-row samples into `_elt_audit`, results into `_elt.test_results`.
 * A test that cannot run (missing table or column) gets status `error`; the others still run.
 *
 * ```ts
 * const run = await runTests(client, compileRelationTests(filmRatings, { locate }))
 * // select count(*) filter (where "t"."film_id" is null) as "v0", … from "analytics"."film_ratings" as "t"
 * // insert into "_elt"."test_results" (…) values (…)
 * ```
 */
export async function runTests(client: pg.ClientBase, tests: readonly CompiledTest[], options: RunTestsOptions = {}): Promise<TestRun> {
  const watch = { what: 'running the data tests', seconds: options.stallSeconds ?? defaultStallSeconds, hint: 'Its connection was closed and no result of this run was recorded.' }
  return watchedClientStep(client as pg.Client, options.destination, watch, (watching) =>
    runAndRecord(client, tests, options, () => {
      if (watching.stalled) throw watching.stalled
    }),
  )
}

async function runAndRecord(client: pg.ClientBase, tests: readonly CompiledTest[], options: RunTestsOptions, checkStalled: () => void): Promise<TestRun> {
  const runId = options.runId ?? randomUUID()
  const record = options.record ?? true
  if (record) await migrateTestResults(client)
  const byId = new Map(tests.map((t) => [t.id, t]))
  const results: TestResult[] = []
  for (const batch of await planTests(client, tests, { oneQueryPerTest: options.oneQueryPerTest ?? false })) {
    if (options.signal?.aborted) throw options.signal.reason ?? new EltError('Cancelled.')
    const measuredBatch = await runBatch(client, batch)
    checkStalled() // a stalled connection's errors are not the tests'
    if (options.signal?.aborted) throw options.signal.reason ?? new EltError('Cancelled.') // the batch was cancelled: its errors are not the tests'
    for (const measured of measuredBatch) {
      const test = byId.get(measured.id) as CompiledTest
      let sampled = 0
      let message = measured.message
      if (record && measured.failures && (measured.status === 'fail' || measured.status === 'warn')) {
        try {
          sampled = await storeFailureSample(client, runId, test)
        } catch (error) {
          message = `${message ? `${message}; ` : ''}the failing rows could not be sampled: ${describeError(error)}`
        }
      }
      const result: TestResult = { ...measured, message, sampled }
      results.push(result)
      options.onResult?.(result)
    }
  }
  if (record) {
    await clearFailureSamples(client, results.filter((r) => r.status === 'pass').map((r) => r.id))
    await recordTestResults(client, runId, results)
  }
  const order = new Map(tests.map((t, i) => [t.id, i]))
  results.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0))
  return { runId, results, status: overallStatus(results) }
}
