import { EltError, ExitCode } from '@elt/core'
import { sql } from 'kysely'
import { compileSelect } from '../compile/compile-select.ts'
import type { TableTarget } from '../compile/resolve-tables-transformer.ts'
import type { CustomTest } from '../define/data-test.ts'
import type { Relation } from '../define/relation.ts'
import type { CompiledTest, CompileTestsOptions } from './compiled-test.ts'
import { defaultSampleSize, ruleOf } from './test-rule.ts'
import { testSqlBuilder as db } from './sql-builder.ts'

/**
 * Compiles a custom test: its query goes through the models' compile step ({@link compileSelect}:
 * `from` keys rewritten to the real relations, an undeclared table or a value that cannot be
 * inlined is an error naming the test), and the failure count is the number of rows it returns.
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
  const text = compileSelect({ subject: `Custom test ${test.name}`, query: test.query, targets }).sql
  const failures = sql`(${sql.raw(text)})`.as('failures')
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
    measure: { kind: 'query', query: db.selectFrom(failures).select((e) => e.fn.countAll().as('value')) },
    interpret: (value) => ({ failures: Number(value ?? 0) }),
    failingRows: db.selectFrom(failures).selectAll(),
    sql: text,
  }
}
