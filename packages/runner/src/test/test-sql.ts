import { expressionBuilder, sql, type Expression, type ExpressionBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely'
import type { AnyTest, RowCondition } from '../define/data-test.ts'
import type { TableLocation, TestMeasure } from './compiled-test.ts'
import { tableOf, testSqlBuilder as db } from './sql-builder.ts'

/** The tested relation's row as seen by test SQL: the relation aliased `t`. */
type Eb = ExpressionBuilder<any, 't'>
const eb: Eb = expressionBuilder<any, 't'>()

/** The SQL pieces of one test: how to measure it and which rows fail it. */
export interface TestSql {
  measure: TestMeasure
  failingRows?: SelectQueryBuilder<any, any, any>
  /** What `sql` shows when there are no failing rows to select (row_count, freshness). */
  measureOnly?: SelectQueryBuilder<any, any, any>
}

/** Where the SQL of a test reads from, and the optional `where` filter. */
export interface TestScope {
  relation: TableLocation
  where?: RowCondition<any>
  /** A relationships test's parent; resolved by the caller. */
  parent?: TableLocation
  /** Age of the relation's last successful load, in seconds (freshness without a column). */
  loadAgeQuery?: SelectQueryBuilder<any, any, { value: unknown }>
}

const from = (relation: TableLocation) => db.selectFrom(tableOf(relation).as('t'))
const col = (column: string) => eb.ref(`t.${column}`)

/** `(<where>) and (<failing>)`, or just `<failing>`. */
function failingWhere(scope: TestScope, failing: Expression<SqlBool>): Expression<SqlBool> {
  return scope.where ? eb.and([scope.where(eb as never), failing]) : failing
}

/** A count of failing rows in the shared scan, with the matching select of those rows. */
function rowCondition(scope: TestScope, failing: Expression<SqlBool>): TestSql {
  const condition = failingWhere(scope, failing)
  return {
    measure: { kind: 'scan', aggregate: () => eb.fn.countAll().filterWhere(condition) },
    failingRows: from(scope.relation).selectAll('t').where(condition),
  }
}

/** `select count(*) as "value" from (<query>) as "failures"` */
function countOf(query: SelectQueryBuilder<any, any, any>): SelectQueryBuilder<any, any, { value: unknown }> {
  return db.selectFrom(query.as('failures')).select((e) => e.fn.countAll().as('value'))
}

/** The SQL of a column test (`column` set) or a model test (`column` null). */
export function testSql(test: AnyTest, column: string | null, scope: TestScope): TestSql {
  const c = column ?? ''
  switch (test.kind) {
    case 'not_null':
      return rowCondition(scope, eb(col(c), 'is', null))
    case 'accepted_values':
      return rowCondition(scope, eb.and([eb(col(c), 'is not', null), eb.not(eb(col(c), 'in', [...test.values]))]))
    case 'accepted_range': {
      const { min, max, inclusive = true } = test.bounds
      const within: Expression<SqlBool>[] = []
      if (min !== undefined) within.push(eb(col(c), inclusive ? '>=' : '>', min))
      if (max !== undefined) within.push(eb(col(c), inclusive ? '<=' : '<', max))
      return rowCondition(scope, eb.and([eb(col(c), 'is not', null), eb.not(eb.and(within))]))
    }
    case 'expression':
      return rowCondition(scope, eb.not(eb.parens(test.condition(eb as never))))
    case 'relationships': {
      const parent = scope.parent as TableLocation
      const orphan = eb.not(
        eb.exists(db.selectFrom(tableOf(parent).as('p')).select(sql.lit(1).as('one')).whereRef(`p.${test.field}`, '=', `t.${c}`)),
      )
      const condition = failingWhere(scope, eb.and([eb(col(c), 'is not', null), orphan]))
      return {
        measure: {
          kind: 'scan',
          join: { parent, field: test.field, column: c },
          aggregate: (alias) => eb.fn.countAll().filterWhere(failingWhere(scope, eb.and([eb(col(c), 'is not', null), eb(`${alias}.k`, 'is', null)]))),
          subplanAggregate: eb.fn.countAll().filterWhere(
            failingWhere(scope, eb.and([eb(col(c), 'is not', null), eb.not(eb(col(c), 'in', db.selectFrom(tableOf(parent).as('p')).select(`p.${test.field}`).where(`p.${test.field}`, 'is not', null)))])),
          ),
          alone: countOf(from(scope.relation).select(sql.lit(1).as('one')).where(condition)),
        },
        failingRows: from(scope.relation).selectAll('t').where(condition),
      }
    }
    case 'unique': {
      const key = scope.where ? eb.case().when(scope.where(eb as never)).then(col(c)).end() : col(c)
      const duplicates = from(scope.relation)
        .select([col(c).as(c), eb.fn.countAll().as('n_records')])
        .where(failingWhere(scope, eb(col(c), 'is not', null)))
        .groupBy(col(c))
        .having(eb.fn.countAll(), '>', 1)
      return { measure: { kind: 'unique', key }, failingRows: duplicates }
    }
    case 'unique_combination': {
      const refs = test.columns.map((name) => col(name))
      let duplicates = from(scope.relation)
        .select([...test.columns.map((name) => col(name).as(name)), eb.fn.countAll().as('n_records')])
        .groupBy(refs)
        .having(eb.fn.countAll(), '>', 1)
      if (scope.where) duplicates = duplicates.where(scope.where(eb as never))
      return { measure: { kind: 'query', query: countOf(duplicates) }, failingRows: duplicates }
    }
    case 'row_count': {
      const count = scope.where ? eb.fn.countAll().filterWhere(scope.where(eb as never)) : eb.fn.countAll()
      return { measure: { kind: 'scan', aggregate: () => count }, measureOnly: from(scope.relation).select(count.as('row_count')) }
    }
    case 'freshness': {
      if (test.column === undefined) {
        const query = scope.loadAgeQuery as SelectQueryBuilder<any, any, { value: unknown }>
        return { measure: { kind: 'query', query }, measureOnly: query }
      }
      const latest = scope.where ? eb.fn.max(col(test.column)).filterWhere(scope.where(eb as never)) : eb.fn.max(col(test.column))
      const age = sql<number>`extract(epoch from (now() - ${latest}))::float8`
      return { measure: { kind: 'scan', aggregate: () => age }, measureOnly: from(scope.relation).select([latest.as('latest'), age.as('age_seconds')]) }
    }
  }
}
