import type { AliasableExpression, Expression, SelectQueryBuilder } from 'kysely'
import type { Severity } from '../define/data-test.ts'
import type { Relation } from '../define/relation.ts'
import type { TestStatus } from './threshold.ts'

/** The kinds of test, as they appear in ids, results and `test_type:` selectors. */
export type TestType =
  | 'not_null'
  | 'unique'
  | 'relationships'
  | 'accepted_values'
  | 'accepted_range'
  | 'expression'
  | 'unique_combination'
  | 'row_count'
  | 'freshness'
  | 'custom'

/** Where a relation lives in the destination. */
export interface TableLocation {
  schema: string
  name: string
}

/** A deduplicated parent a relationships test left-joins in the shared scan. */
export interface ParentJoin {
  parent: TableLocation
  field: string
  column: string
}

/**
 * How a test's measure is computed:
 * - `scan`: one aggregate over the tested relation (aliased `t`), shared with the relation's other scan tests;
 *   a relationships test also left-joins its deduplicated parent (`join`, aliased by the planner, passed to
 *   `aggregate`) and has a standalone anti-join `alone` for one-query-per-test runs;
 * - `unique`: a key whose non-null duplicated values are counted, batched with the relation's other `unique` tests;
 * - `query`: a standalone query returning one row with a `value` column.
 */
export type TestMeasure =
  | {
      kind: 'scan'
      aggregate: (joinAlias: string) => AliasableExpression<unknown>
      join?: ParentJoin
      /** A relationships test's aggregate without the join: `not (x in (select …))`, for a hashed subplan. */
      subplanAggregate?: AliasableExpression<unknown>
      alone?: SelectQueryBuilder<any, any, { value: unknown }>
    }
  | { kind: 'unique'; key: Expression<unknown> }
  | { kind: 'query'; query: SelectQueryBuilder<any, any, { value: unknown }> }

/** What a measured value means: the failure count, and for some kinds the status and a message. */
export interface Interpretation {
  failures: number
  /** Overrides the threshold rule (freshness decides warn/fail from its ages). */
  status?: Exclude<TestStatus, 'error'>
  message?: string
}

/** One data test, ready to run: ids, rules, and the SQL pieces to measure it and to show its failing rows. */
export interface CompiledTest {
  /** Stable across runs, e.g. `unique_film_ratings_film_id`. */
  id: string
  type: TestType
  /** Id of the tested node (`model.film_ratings`, `source.raw.films`; a custom test's own `test.<name>`). */
  nodeId: string
  /** Display name of the tested relation (`film_ratings`, `raw.films`). */
  model: string
  column: string | null
  severity: Severity
  warnIf: string
  errorIf: string
  tags: readonly string[]
  /** Failing rows kept in `_elt_audit`; 0 = none. */
  sampleSize: number
  /** A relationships test's parent: the node and column every tested value must be in. */
  references?: { nodeId: string; column: string }
  /** Nodes the test reads (the tested relation, a relationships target, a custom test's `from`). */
  parents: readonly string[]
  /** The tested relation (shared scans group on it); a custom test's first dependency. */
  relation: TableLocation
  measure: TestMeasure
  interpret(value: unknown): Interpretation
  /** All failing rows (unbounded): sampled into `_elt_audit`. Absent for `row_count` and `freshness`. */
  failingRows?: SelectQueryBuilder<any, any, any>
  /** SQL a person can paste into psql to see all failing rows (values inlined). */
  sql: string
  /** Added to the message when the test errors (what to do). */
  hint?: string
}

/** How tests are compiled: where relations live, and defaults. */
export interface CompileTestsOptions {
  /** Where a relation lives in the destination (`source.raw.films` → raw.films, `model.x` → analytics.x). */
  locate(relation: Relation<any>): TableLocation
  /** Default sample size for tests that do not set one (default 100; 0 = keep no samples). */
  sampleSize?: number
  /**
   * The age in seconds of a relation's last successful load, as a one-row query with a `value`
   * column (freshness tests without a column). Default: the extract-load records in `_elt`.
   */
  loadAge?(location: TableLocation): SelectQueryBuilder<any, any, { value: unknown }>
}
