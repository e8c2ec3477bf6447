import type { ColumnTest, ModelTest } from './data-test.ts'

/** How a model is built in the warehouse. */
export type Materialization = 'view' | 'table' | 'incremental' | 'ephemeral'

/** Per-column documentation and tests, keyed by the relation's own columns (typos do not compile). */
export type ColumnSpecs<Row> = {
  [K in keyof Row]?: { description?: string; tests?: readonly ColumnTest<Row, K>[] }
}

/**
 * A node that other nodes can read from: a raw source table or a model. `Row` is a
 * phantom type (never present at run time) carrying the relation's columns, so
 * `from: { films: stgFilms }` gives the dependent query exactly `stg_films`' columns.
 *
 * Ids are stable and unique across kinds: `source.raw.films`, `model.stg_films`.
 */
export interface Relation<Row = unknown> {
  readonly kind: 'source' | 'model'
  /** `source.<schema>.<name>` or `model.<name>`. */
  readonly id: string
  /** Table name (sources) or model name. */
  readonly name: string
  readonly description?: string
  readonly tags: readonly string[]
  readonly columns: ColumnSpecs<Row>
  readonly tests: readonly ModelTest<Row>[]
  /** Phantom: the row type. Always `undefined` at run time. */
  readonly __row?: Row
}

/** A raw table replicated into the destination (e.g. `raw.films`). */
export interface SourceRelation<Row = unknown> extends Relation<Row> {
  readonly kind: 'source'
  /** Schema in the destination, e.g. `raw`. */
  readonly schema: string
}

/** What a model reads: local names (used in its query) mapped to relations. */
export type Dependencies = Record<string, Relation<any>>

/** Incremental settings: upsert on `uniqueKey`, only rows whose `newerThan` column exceeds the current maximum. */
export interface IncrementalSpec<Row> {
  uniqueKey: readonly (keyof Row & string)[]
  /** Only rows with this column greater than `max(column)` already in the table are upserted. */
  newerThan?: keyof Row & string
  /**
   * `'source'`: `newerThan` carries an upstream raw table's replication cursor, and a build reads
   * only the rows past the start of the window the latest replication changed in the raw tables
   * upstream (`_elt.table_changes`: the previous mark minus the lookback), so rows a lookback
   * brought in late are included; nothing changed upstream: nothing is read; a whole copy upstream
   * (or no record): the `max(newerThan)` rule.
   */
  changedSince?: 'source'
}

/** A model: a typed Kysely query over its declared dependencies. */
export interface ModelRelation<Row = unknown, From extends Dependencies = Dependencies> extends Relation<Row> {
  readonly kind: 'model'
  readonly materialized: Materialization
  readonly from: From
  /** Builds the query; called once per compile with a Kysely instance that never connects. */
  readonly query: (db: any) => unknown
  readonly incremental?: IncrementalSpec<Row>
  /** Source file of the definition when known (for the manifest and the dashboard). */
  readonly file?: string
}

/** The row type of a relation: `RowOf<typeof stgFilms>`. */
export type RowOf<R> = R extends Relation<infer Row> ? Row : never

/** Any node the graph holds. */
export type AnyRelation = SourceRelation<any> | ModelRelation<any, any>

export function isSource(value: unknown): value is SourceRelation<any> {
  return typeof value === 'object' && value !== null && (value as Relation).kind === 'source' && typeof (value as Relation).id === 'string'
}

export function isModel(value: unknown): value is ModelRelation<any, any> {
  return typeof value === 'object' && value !== null && (value as Relation).kind === 'model' && typeof (value as Relation).id === 'string'
}
