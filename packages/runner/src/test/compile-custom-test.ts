import { EltError, ExitCode } from '@elt/core'
import { createQueryId, PostgresQueryCompiler, SelectQueryNode, sql, type OperationNode, type SelectQueryBuilder } from 'kysely'
import { collectCteNames, ResolveTablesTransformer, type TableTarget } from '../compile/resolve-tables-transformer.ts'
import type { CustomTest } from '../define/data-test.ts'
import type { Relation } from '../define/relation.ts'
import type { CompiledTest, CompileTestsOptions } from './compiled-test.ts'
import { defaultSampleSize, ruleOf } from './test-rule.ts'
import { testSqlBuilder as db } from './sql-builder.ts'

/**
 * Compiles a custom test: its query is built on the compile-only Kysely, its `from` keys are
 * rewritten to the real relations (an undeclared table is an error naming the test), and the
 * failure count is the number of rows it returns.
 *
 * ```sql
 * select count(*) as "value" from (select "film_id" from "analytics"."film_ratings" as "ratings" where …) as "failures"
 * ```
 */
export function compileCustomTest(test: CustomTest<any>, options: CompileTestsOptions): CompiledTest {
  const deps = Object.entries(test.from as Record<string, Relation<any> & { materialized?: string }>)
  if (deps.length === 0) {
    throw new EltError(`Custom test ${test.name} declares no dependencies in \`from\`.`, {
      hint: 'List the models and sources its query reads, as for a model.',
      exitCode: ExitCode.usage,
    })
  }
  const targets = new Map<string, TableTarget>()
  for (const [key, dep] of deps) {
    if (dep.materialized === 'ephemeral') {
      throw new EltError(`Custom test ${test.name} reads the ephemeral model ${dep.name}, which has no table.`, {
        hint: 'Materialize that model as a view or table, or test the model that reads it.',
        exitCode: ExitCode.usage,
      })
    }
    const location = options.locate(dep)
    targets.set(key, { schema: location.schema, name: location.name })
  }
  let root: OperationNode
  try {
    root = (test.query(db as never) as SelectQueryBuilder<any, any, any>).toOperationNode()
  } catch (error) {
    throw new EltError(`Custom test ${test.name}'s query threw while being built: ${error instanceof Error ? error.message : String(error)}`, {
      hint: 'Return a Kysely select of the failing rows, e.g. `(db) => db.selectFrom(\'films\').selectAll().where(…)`.',
      exitCode: ExitCode.usage,
      cause: error,
    })
  }
  if (!SelectQueryNode.is(root)) {
    throw new EltError(`Custom test ${test.name}'s query is not a select.`, { hint: 'Return a select of the failing rows.', exitCode: ExitCode.usage })
  }
  const resolved = new ResolveTablesTransformer(`test ${test.name}`, targets, collectCteNames(root)).transformNode(root)
  const text = new PostgresQueryCompiler().compileQuery(resolved as SelectQueryNode, createQueryId()).sql
  const failingRows = db.selectFrom(sql`(${sql.raw(text)})`.as('failures')).selectAll()
  const [first] = deps
  return {
    id: test.name,
    type: 'custom',
    nodeId: test.id,
    model: first![1].name,
    column: null,
    ...ruleOf(test.options, test.name, options.sampleSize ?? defaultSampleSize),
    parents: deps.map(([, dep]) => dep.id),
    relation: options.locate(first![1]),
    measure: { kind: 'query', query: db.selectFrom(sql`(${sql.raw(text)})`.as('failures')).select((e) => e.fn.countAll().as('value')) },
    interpret: (value) => ({ failures: Number(value ?? 0) }),
    failingRows,
    sql: text,
  }
}
