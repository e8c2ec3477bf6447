import type { Expression, ExpressionBuilder, Kysely, SelectQueryBuilder, SqlBool } from 'kysely'
import type { TablesOf } from './define-model.ts'
import type { Dependencies, Relation, RowOf } from './relation.ts'

/**
 * Data test declarations: what users write next to a model's or a source's columns.
 * Semantics follow dbt's, which users rely on; each helper documents the SQL it runs
 * (`count(*)` of the failing rows; the CLI shows the `select` of the failing rows).
 */

/** `error` (default): a failing test fails the run and skips the model's descendants. `warn`: reported only. */
export type Severity = 'error' | 'warn'

/** A condition on the failure count, as in dbt's `warn_if` / `error_if`: `'> 10'`, `'>= 1'`, `'!= 0'`. */
export type Threshold = `${'>' | '>=' | '<' | '<=' | '=' | '==' | '!=' | '<>'} ${number}`

/** The table a test's row callbacks see: the tested relation, aliased `t`. */
export type RowDb<Row> = { t: Row }
/** Typed over the tested relation's columns: `eb('user_rating', '>=', 1)`. Unknown columns do not compile. */
export type RowExpressionBuilder<Row> = ExpressionBuilder<RowDb<Row>, 't'>
/** A boolean condition over one row of the tested relation. */
export type RowCondition<Row> = (eb: RowExpressionBuilder<Row>) => Expression<SqlBool>

/** Options every test accepts. */
export interface TestOptions<Row> {
  /** Default `error`. */
  severity?: Severity
  /** Status `warn` when the failure count meets this (default `'!= 0'`). */
  warnIf?: Threshold
  /** Status `fail` when the failure count meets this (default `'!= 0'`); ignored with `severity: 'warn'`. */
  errorIf?: Threshold
  /** Only rows meeting this condition are tested: `where: (eb) => eb('release_date', '>', '2000-01-01')`. */
  where?: RowCondition<Row>
  tags?: readonly string[]
  /** Failing rows kept in `_elt_audit` (default 100). `0` keeps none. */
  sampleSize?: number
  /** `false`: never copy failing rows anywhere (sensitive data). Default `true`. */
  storeFailures?: boolean
  /** Overrides the generated test id (needed when two tests would get the same id). */
  name?: string
}

interface TestBase<Row> {
  readonly options: TestOptions<Row>
}

/** See {@link notNull}. */
export interface NotNullTest<Row> extends TestBase<Row> {
  readonly kind: 'not_null'
}
/** See {@link unique}. */
export interface UniqueTest<Row> extends TestBase<Row> {
  readonly kind: 'unique'
}
/** See {@link acceptedValues}. */
export interface AcceptedValuesTest<Row, V> extends TestBase<Row> {
  readonly kind: 'accepted_values'
  readonly values: readonly V[]
}
/** Bounds of {@link acceptedRange}. */
export interface RangeBounds<V> {
  min?: V
  max?: V
  /** Whether `min` and `max` themselves are accepted (default `true`). */
  inclusive?: boolean
}
/** See {@link acceptedRange}. */
export interface AcceptedRangeTest<Row, V> extends TestBase<Row> {
  readonly kind: 'accepted_range'
  readonly bounds: RangeBounds<V>
}
/** See {@link expression}. */
export interface ExpressionTest<Row> extends TestBase<Row> {
  readonly kind: 'expression'
  readonly condition: RowCondition<Row>
  /** Free text describing the condition (part of the id unless `name` is given). */
  readonly label?: string
}
/** See {@link relationships}. */
export interface RelationshipsTest<Row, To extends Relation<any> = Relation<any>> extends TestBase<Row> {
  readonly kind: 'relationships'
  readonly to: To
  readonly field: string
}

type Scalar = string | number | bigint | boolean | Date

/** Values a column of type `T` can be compared with (any scalar when the column type is unknown). */
type ValueOf<T> = unknown extends T ? Scalar : Extract<NonNullable<T>, Scalar>
/**
 * Bounds a column of type `T` can be compared with: its own type, and numbers for bigint columns
 * and for `numeric` columns (which node-postgres reads as strings). PostgreSQL casts the bound to
 * the column's real type.
 */
type Rangeable<T> = unknown extends T
  ? number | bigint | string | Date
  : (NonNullable<T> extends infer V ? (V extends number | bigint | string | Date ? V : never) : never) | (NonNullable<T> extends number | bigint | string ? number : never)

/**
 * A test on one column `K` of a relation with rows `Row`. The string shorthands
 * `'not_null'` and `'unique'` mean `notNull()` and `unique()`.
 */
export type ColumnTest<Row, K extends keyof Row> =
  | 'not_null'
  | 'unique'
  | NotNullTest<Row>
  | UniqueTest<Row>
  | AcceptedValuesTest<Row, ValueOf<Row[K]>>
  | AcceptedRangeTest<Row, Rangeable<Row[K]>>
  | ExpressionTest<Row>
  | RelationshipsTest<Row>

/** See {@link uniqueCombination}. */
export interface UniqueCombinationTest<Row> extends TestBase<Row> {
  readonly kind: 'unique_combination'
  readonly columns: readonly (keyof Row & string)[]
}
/** See {@link rowCount}. */
export interface RowCountTest<Row> extends TestBase<Row> {
  readonly kind: 'row_count'
  readonly min?: number
  readonly max?: number
}
/** An age: `'30m'`, `'12h'`, `'2d'`. */
export type Age = `${number}${'m' | 'h' | 'd'}`
/** See {@link freshness}. */
export interface FreshnessTest<Row> extends TestBase<Row> {
  readonly kind: 'freshness'
  /** Timestamp column; omitted → the time of the relation's last successful load (raw tables). */
  readonly column?: keyof Row & string
  readonly warnAfter?: Age
  readonly errorAfter?: Age
}

/** A test on a whole relation (declared in its `tests: [...]`). */
export type ModelTest<Row> = UniqueCombinationTest<Row> | RowCountTest<Row> | FreshnessTest<Row> | ExpressionTest<Row>

/** Any column or model test (the runtime shape, string shorthands resolved). */
export type AnyTest = Exclude<ColumnTest<any, any> | ModelTest<any>, string>

// ---------------------------------------------------------------------------------------------
// Column tests
// ---------------------------------------------------------------------------------------------

/**
 * Fails on every row whose column is null. Same as the shorthand `'not_null'`.
 *
 * ```sql
 * select count(*) filter (where "t"."film_id" is null) from "analytics"."film_ratings" as "t"
 * -- the failing rows: select "t".* from "analytics"."film_ratings" as "t" where "t"."film_id" is null
 * ```
 */
export function notNull<Row = any>(options: TestOptions<Row> = {}): NotNullTest<Row> {
  return { kind: 'not_null', options }
}

/**
 * Fails once for every non-null value that occurs more than once (nulls are ignored).
 * Same as the shorthand `'unique'`. The `unique` tests of one relation share one pass over it
 * (`group by grouping sets (("k0"), ("k1"), …)`).
 *
 * ```sql
 * select count(*) from (
 *   select "film_id" from "analytics"."film_ratings" as "t"
 *   where "film_id" is not null group by "film_id" having count(*) > 1
 * ) as "duplicates"
 * ```
 */
export function unique<Row = any>(options: TestOptions<Row> = {}): UniqueTest<Row> {
  return { kind: 'unique', options }
}

/**
 * Fails on every row whose non-null value is not in `values` (nulls pass; add `not_null` for them).
 * Values are sent as parameters.
 *
 * ```sql
 * select count(*) filter (where "rating_category" is not null and not ("rating_category" in ($1, $2, $3)))
 * from "analytics"."film_ratings" as "t"
 * ```
 */
export function acceptedValues<V extends Scalar, Row = any>(values: readonly V[], options: TestOptions<Row> = {}): AcceptedValuesTest<Row, V> {
  return { kind: 'accepted_values', values, options }
}

/**
 * Fails on every row whose non-null value lies outside `[min, max]` (`inclusive: false` → `(min, max)`).
 *
 * ```sql
 * select count(*) filter (where "user_rating" is not null and not ("user_rating" >= $1 and "user_rating" <= $2))
 * from "analytics"."film_ratings" as "t"
 * ```
 */
export function acceptedRange<V extends number | bigint | string | Date, Row = any>(
  bounds: RangeBounds<V>,
  options: TestOptions<Row> = {},
): AcceptedRangeTest<Row, V> {
  return { kind: 'accepted_range', bounds, options }
}

/**
 * Fails on every row where `condition` is false, typed over the relation's row (as dbt_utils'
 * `expression_is_true`, a row where it is null does not fail). On a column it is the same as on
 * the model: the column only names the test; `label` is added to the id.
 *
 * ```ts
 * expression((eb) => eb('price', '>=', 0), { label: 'price not negative' })
 * ```
 * ```sql
 * select count(*) filter (where not ("price" >= $1)) from "analytics"."films" as "t"
 * ```
 */
export function expression<Row = any>(condition: RowCondition<Row>, options: TestOptions<Row> & { label?: string } = {}): ExpressionTest<Row> {
  const { label, ...rest } = options
  return { kind: 'expression', condition, options: rest, ...(label === undefined ? {} : { label }) }
}

/**
 * Fails on every row whose non-null value has no parent row in `to` with an equal `field`
 * (dbt counts child rows, so a missing parent referenced twice is two failures).
 * `field` must be a column of `to`: `relationships(stgFilms, 'film_idd')` does not compile.
 *
 * ```sql
 * -- in the shared scan (a subplan PostgreSQL hashes once; a hash join on the parent's distinct keys when it is too big):
 * select count(*) filter (where "t"."film_id" is not null
 *   and not "t"."film_id" in (select "p"."film_id" from "analytics"."stg_films" as "p" where "p"."film_id" is not null))
 * from "analytics"."stg_film_actors" as "t"
 * -- the failing rows:
 * select "t".* from "analytics"."stg_film_actors" as "t" where ("t"."film_id" is not null
 *   and not exists (select 1 as "one" from "analytics"."stg_films" as "p" where "p"."film_id" = "t"."film_id"))
 * ```
 */
export function relationships<To extends Relation<any>, F extends keyof RowOf<To> & string, Row = any>(
  to: To,
  field: F,
  options: TestOptions<Row> = {},
): RelationshipsTest<Row, To> {
  return { kind: 'relationships', to, field, options }
}

// ---------------------------------------------------------------------------------------------
// Model tests
// ---------------------------------------------------------------------------------------------

/**
 * Fails once for every combination of the columns' values occurring more than once
 * (dbt_utils' `unique_combination_of_columns`: NULLs group together like any value).
 *
 * ```sql
 * select count(*) from (select "t"."film_id", "t"."actor_id", count(*) as "n_records" from "analytics"."stg_film_actors" as "t"
 *   group by "t"."film_id", "t"."actor_id" having count(*) > 1) as "failures"
 * ```
 */
export function uniqueCombination<Row = any>(
  columns: readonly (keyof Row & string)[],
  options: TestOptions<Row> = {},
): UniqueCombinationTest<Row> {
  return { kind: 'unique_combination', columns, options }
}

/**
 * Fails (failure count 1) when the number of rows is below `min` or above `max`.
 *
 * ```sql
 * select count(*) from "analytics"."film_ratings" as "t"   -- compared with min/max
 * ```
 */
export function rowCount<Row = any>(bounds: { min?: number; max?: number }, options: TestOptions<Row> = {}): RowCountTest<Row> {
  return { kind: 'row_count', ...bounds, options }
}

/**
 * How stale a relation is: `warn` after `warnAfter`, `fail` after `errorAfter` (failure count 1).
 * With `column`, the age is `now() - max(column)`; without, it is the time since the
 * relation's last successful load by `elt replicate` (for raw tables, which need no timestamp column).
 *
 * ```sql
 * select extract(epoch from now() - max("updated_at")) from "raw"."orders" as "t"
 * -- without column: select extract(epoch from now() - max(finished_at)) from "_elt"."table_loads" where … = 'raw.films'
 * ```
 */
export function freshness<Row = any>(
  spec: { column?: keyof Row & string; warnAfter?: Age; errorAfter?: Age },
  options: Omit<TestOptions<Row>, 'severity' | 'warnIf' | 'errorIf'> = {},
): FreshnessTest<Row> {
  return { kind: 'freshness', ...spec, options }
}

// ---------------------------------------------------------------------------------------------
// Custom tests
// ---------------------------------------------------------------------------------------------

/** A custom data test: a typed query returning the failing rows. */
export interface CustomTest<From extends Dependencies = Dependencies> {
  readonly kind: 'custom_test'
  /** `test.<name>`. */
  readonly id: string
  readonly name: string
  readonly description?: string
  readonly from: From
  readonly query: (db: Kysely<TablesOf<From>>) => SelectQueryBuilder<any, any, any>
  readonly options: Omit<TestOptions<unknown>, 'where' | 'name'>
}

/**
 * A custom test in its own module, with its dependencies declared like a model's.
 * Every row the query returns is a failure.
 *
 * ```ts
 * export const ratedFilmsHaveActors = defineTest({
 *   name: 'rated_films_have_actors',
 *   from: { ratings: filmRatings, filmActors: stgFilmActors },
 *   query: (db) => db.selectFrom('ratings').select('film_id').where('actor_count', '=', 0),
 * })
 * ```
 * ```sql
 * select count(*) from (select "film_id" from "analytics"."film_ratings" where "actor_count" = $1) as "failures"
 * ```
 */
export function defineTest<From extends Dependencies>(spec: {
  name: string
  description?: string
  from: From
  query: (db: Kysely<TablesOf<From>>) => SelectQueryBuilder<any, any, any>
} & Omit<TestOptions<unknown>, 'where' | 'name'>): CustomTest<From> {
  const { name, description, from, query, ...options } = spec
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`defineTest: the name "${name}" must be letters, digits and underscores.`)
  return { kind: 'custom_test', id: `test.${name}`, name, from, query, options, ...(description === undefined ? {} : { description }) }
}

export function isCustomTest(value: unknown): value is CustomTest<any> {
  return typeof value === 'object' && value !== null && (value as CustomTest).kind === 'custom_test' && typeof (value as CustomTest).id === 'string'
}
