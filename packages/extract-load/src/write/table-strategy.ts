import type { TableDef } from '../introspect/catalog.ts'

/** How a table is replicated (`replicate.tables` / `sources.<name>.tables` in elt.config.ts). */
export type ReplicationStrategy = 'full' | 'incremental' | 'append' | 'cdc'

/**
 * One table's settings as validated by `@elt/config` (`tables: { 'public.orders': { … } }`);
 * a table not named there gets `{ strategy: 'full' }`.
 */
export interface TableStrategy {
  strategy: ReplicationStrategy
  /** Column(s) whose value grows with every change (`incremental`, `append`). */
  cursor?: string | readonly string[]
  /** Upsert key of `incremental` (default: the source table's primary key). */
  primaryKey?: readonly string[]
  /** A PostgreSQL interval read again before the last mark (late commits, clock skew). */
  lookback?: string
  deletes?: 'ignore' | 'compare-keys'
}

export const fullStrategy: TableStrategy = { strategy: 'full' }

/** The settings of `table` in a source's `tables` (keyed `schema.table`), else `full`. */
export function strategyOf(tables: Readonly<Record<string, TableStrategy>> | undefined, table: Pick<TableDef, 'schema' | 'name'>): TableStrategy {
  return tables?.[`${table.schema}.${table.name}`] ?? fullStrategy
}

/** The cursor column(s) as a list (`'updated_at'` → `['updated_at']`). */
export const cursorColumns = (s: TableStrategy): string[] => (s.cursor === undefined ? [] : typeof s.cursor === 'string' ? [s.cursor] : [...s.cursor])

/** What a strategy moved, besides `WriteTableResult`'s rows and bytes (`rows` = rows read from the source this run). */
export interface StrategyCounts {
  strategy: ReplicationStrategy
  inserted: number
  updated: number
  deleted: number
}
