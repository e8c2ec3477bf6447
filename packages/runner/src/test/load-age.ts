import { sql, type SelectQueryBuilder } from 'kysely'
import type { TableLocation } from './compiled-test.ts'
import { testSqlBuilder as db } from './sql-builder.ts'

/**
 * Age in seconds of the last successful load of a replicated table, read from extract-load's
 * per-table records in `_elt.table_loads` (`target_table` is `<schema>.<table>`; null when none
 * is recorded). Used by `freshness()` without a column, so raw tables without a timestamp
 * column still show how stale the replica is.
 *
 * ```sql
 * select extract(epoch from (now() - max("finished_at")))::float8 as "value"
 * from "_elt"."table_loads" where "target_table" = $1 and "status" = $2   -- 'raw.films', 'done'
 * ```
 */
export function loadAgeQuery(location: TableLocation): SelectQueryBuilder<any, any, { value: unknown }> {
  return db
    .selectFrom('_elt.table_loads')
    .select(sql<number>`extract(epoch from (now() - max(${sql.ref('finished_at')})))::float8`.as('value'))
    .where('target_table', '=', `${location.schema}.${location.name}`)
    .where('status', '=', 'done')
}
