import {
  CommonTableExpressionNode,
  createQueryId,
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SelectQueryNode,
  WithNode,
  type OperationNode,
} from 'kysely'
import { EltError, ExitCode } from '@elt/core'
import { collectCteNames, ResolveTablesTransformer, type TableTarget } from './resolve-tables-transformer.ts'

/** A Kysely instance that compiles Postgres SQL and never connects. */
export const compileOnlyDb = new Kysely<any>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
})

const compiler = new PostgresQueryCompiler()

/** A user's select query to compile: a model's or a custom test's. */
export interface SelectSource {
  /** Who wrote it, for messages: `Model film_ratings`, `Custom test every_film_rated`. */
  subject: string
  /** The user's query function, called with the compile-only Kysely. */
  query: (db: Kysely<any>) => unknown
  /** Each declared `from` key → where it really lives. */
  targets: ReadonlyMap<string, TableTarget>
  /** CTEs put before the query's own (ephemeral models it reads). */
  ctes?: readonly CommonTableExpressionNode[]
}

export interface CompiledSelect {
  /** Parameter-free SQL: every value is an inline literal. */
  sql: string
  /** The resolved tree (kept to inline ephemeral models into their dependents). */
  tree: SelectQueryNode
  /** The query's own tree as the user built it (declared `from` keys, no CTEs added): what column lineage walks. */
  query: SelectQueryNode
}

/**
 * The one compile step of every user query (models and custom tests): builds it on the
 * compile-only Kysely, checks it is a select, rewrites its declared tables to their real relations
 * (an undeclared table is an error naming `subject`), prepends `ctes`, inlines every value as a
 * literal and refuses what would stay a bind parameter, since views and the tests' wrapping
 * queries take none.
 *
 * ```ts
 * compileSelect({ subject: 'Model stg_films', query: (db) => db.selectFrom('films').select('title').where('rating', '=', 'R'),
 *   targets: new Map([['films', { schema: 'raw', name: 'films' }]]) }).sql
 * // select "title" from "raw"."films" as "films" where "rating" = 'R'
 * ```
 */
export function compileSelect(source: SelectSource): CompiledSelect {
  const { subject } = source
  let built: unknown
  try {
    built = source.query(compileOnlyDb)
  } catch (error) {
    throw new EltError(`${subject}'s query threw while being built: ${error instanceof Error ? error.message : String(error)}`, {
      hint: 'Fix the query function; it must return a Kysely select query.',
      exitCode: ExitCode.usage,
      cause: error,
    })
  }
  const builder = built as { toOperationNode?: () => OperationNode }
  if (typeof builder?.toOperationNode !== 'function') {
    throw new EltError(`${subject}'s query did not return a Kysely query builder.`, {
      hint: 'Return the builder, e.g. `(db) => db.selectFrom(\'films\').select([...])`, without awaiting or executing it.',
      exitCode: ExitCode.usage,
    })
  }
  const root = builder.toOperationNode()
  if (!SelectQueryNode.is(root)) {
    throw new EltError(`${subject}'s query is a ${root.kind}, not a select.`, {
      hint: 'Return a Kysely select, e.g. `(db) => db.selectFrom(\'films\').select([...])`.',
      exitCode: ExitCode.usage,
    })
  }
  let tree = new ResolveTablesTransformer(subject, source.targets, collectCteNames(root)).transformNode(root) as SelectQueryNode
  if (source.ctes?.length) {
    const [first, ...rest] = [...source.ctes, ...(tree.with?.expressions ?? [])]
    let withNode = WithNode.create(first!, tree.with?.recursive ? { recursive: true } : undefined)
    for (const cte of rest) withNode = WithNode.cloneWithExpression(withNode, cte)
    tree = { ...tree, with: withNode }
  }
  let compiled: ReturnType<PostgresQueryCompiler['compileQuery']>
  try {
    compiled = compiler.compileQuery(tree, createQueryId())
  } catch (error) {
    // Kysely's `invalid immediate value …`: an array, object or buffer has no inline literal.
    throw bindParameterError(subject, `${error instanceof Error ? error.message : String(error)}`)
  }
  if (compiled.parameters.length) throw bindParameterError(subject, `${compiled.parameters.length} value(s) left as bind parameters`)
  return { sql: compiled.sql, tree, query: root }
}

function bindParameterError(subject: string, detail: string): EltError {
  return new EltError(`${subject}'s query has a value that cannot be written into its SQL as a literal (${detail}).`, {
    hint: "Use plain values (numbers, strings, booleans, dates, null); for a list write `where('col', 'in', [1, 2])`, not an array inside sql`…`.",
    exitCode: ExitCode.usage,
  })
}
