import type { Kysely, SelectQueryBuilder } from 'kysely'
import type { ModelTest } from './data-test.ts'
import type { ColumnSpecs, Dependencies, IncrementalSpec, Materialization, ModelRelation, RowOf } from './relation.ts'

/** The tables a model's query sees: each `from` key typed with its relation's row type. */
export type TablesOf<From extends Dependencies> = { [K in keyof From & string]: RowOf<From[K]> }

/** `{ a: 1 } & { b: 2 }` → `{ a: 1; b: 2 }`, so inferred row types read well and compare exactly. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {}

export interface ModelDefinition<From extends Dependencies, Row, Key extends string = never> {
  /** Relation name in the target schema (`analytics.<name>`). */
  name: string
  /** Default `view`. */
  materialized?: Materialization
  description?: string
  tags?: readonly string[]
  /** Local table name → the model or source it reads. Only these tables may appear in `query`. */
  from: From
  /** The model's query; its output type is the model's row type. */
  query: (db: Kysely<TablesOf<From>>) => SelectQueryBuilder<any, any, Row>
  /**
   * Required when `materialized: 'incremental'`: `{ uniqueKey: ['user_id'], newerThan: 'user_id' }`.
   * Keys must be columns of the query's output (checked at compile time). `changedSince: 'source'`
   * (with `newerThan`, a replication cursor carried through): read only past the latest replication's
   * window of the raw tables upstream (see `IncrementalSpec`).
   */
  incremental?: { uniqueKey: readonly Key[]; newerThan?: Key; changedSince?: 'source' }
  columns?: ColumnSpecs<NoInfer<Simplify<Row>>>
  tests?: readonly ModelTest<NoInfer<Simplify<Row>>>[]
  /** Source file, for the manifest (`import.meta.filename`). */
  file?: string
}

/**
 * `Model` when every incremental key is a column of `Row`; otherwise an error type naming the
 * unknown columns, so using the model anywhere (a `from`, the project's exports) fails to compile.
 * (Checked on the result because contextual typing of the keys would stop `Row` being inferred.)
 */
export type KnownColumns<Key, Row, Model> = [Exclude<Key, keyof Row>] extends [never]
  ? Model
  : { error: 'incremental keys that are not columns of the query'; unknownColumns: Exclude<Key, keyof Row> }

const modelName = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Declares a model. Its dependencies are the imported relations in `from`; its row type is
 * inferred from `query`, and is what its dependents see.
 *
 * ```ts
 * export const stgFilms = defineModel({
 *   name: 'stg_films',
 *   from: { films: raw.films },
 *   query: (db) => db.selectFrom('films').select(['film_id', 'title']),
 * })
 * // create or replace view "analytics"."stg_films" as
 * //   select "film_id", "title" from "raw"."films" as "films"
 * ```
 */
export function defineModel<const From extends Dependencies, Row, const Key extends string = never>(
  definition: ModelDefinition<From, Row, Key>,
): KnownColumns<Key, Row, ModelRelation<Simplify<Row>, From>> {
  const materialized = definition.materialized ?? 'view'
  if (!modelName.test(definition.name)) {
    throw new Error(`Model name "${definition.name}" is not a plain SQL name: use letters, digits and underscores, starting with a letter.`)
  }
  if (materialized === 'incremental' && !definition.incremental?.uniqueKey.length) {
    throw new Error(`Model "${definition.name}" is incremental but has no incremental.uniqueKey: name the columns that identify a row.`)
  }
  if (definition.incremental?.changedSince !== undefined && definition.incremental.newerThan === undefined) {
    throw new Error(`Model "${definition.name}" has incremental.changedSince but no incremental.newerThan: name the column that carries the source's cursor.`)
  }
  const model: ModelRelation<Simplify<Row>, From> = Object.freeze({
    kind: 'model' as const,
    id: `model.${definition.name}`,
    name: definition.name,
    materialized,
    ...(definition.description === undefined ? {} : { description: definition.description }),
    tags: Object.freeze([...(definition.tags ?? [])]),
    from: definition.from,
    query: definition.query as (db: any) => unknown,
    ...(definition.incremental === undefined ? {} : { incremental: definition.incremental as unknown as IncrementalSpec<Simplify<Row>> }),
    columns: (definition.columns ?? {}) as ColumnSpecs<Simplify<Row>>,
    tests: (definition.tests ?? []) as readonly ModelTest<Simplify<Row>>[],
    ...(definition.file === undefined ? {} : { file: definition.file }),
  })
  return model as KnownColumns<Key, Row, ModelRelation<Simplify<Row>, From>>
}
