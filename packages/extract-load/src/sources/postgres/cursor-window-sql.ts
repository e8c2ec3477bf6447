import { quoteIdent } from '@elt/core'
import type { TableDef } from '../../introspect/catalog.ts'
import type { CursorWindow } from '../source-reader.ts'

/** A text value as a standard SQL literal (`'it''s'`); the value never leaves quotes. */
export const sqlLiteral = (value: string): string => `'${value.replace(/'/g, "''")}'`

/**
 * The `WHERE` clause of a cursor window, the mark's values cast to the cursor columns' (built-in)
 * types, or '' without a window.
 *
 * ```ts
 * cursorWindowSql(orders, { cursor: ['updated_at'], after: ['2026-12-01 10:00:00+00'], lookback: '10 minutes' })
 * // WHERE ("updated_at") > ('2026-12-01 10:00:00+00'::timestamp with time zone - '10 minutes'::interval)
 * cursorWindowSql(events, { cursor: ['event_day', 'event_id'], after: ['2026-12-01', '1041'] })
 * // WHERE ("event_day", "event_id") > ('2026-12-01'::date, '1041'::bigint)
 * ```
 */
export function cursorWindowSql(table: TableDef, window: CursorWindow | undefined): string {
  if (window === undefined) return ''
  const typeOf = (name: string) => table.columns.find((c) => c.name === name)?.type ?? 'text'
  const value = (i: number) => `${sqlLiteral(window.after[i]!)}::${typeOf(window.cursor[i]!)}`
  if (window.lookback !== undefined) {
    return `WHERE (${quoteIdent(window.cursor[0]!)}) > (${value(0)} - ${sqlLiteral(window.lookback)}::interval)`
  }
  return `WHERE (${window.cursor.map(quoteIdent).join(', ')}) > (${window.cursor.map((_, i) => value(i)).join(', ')})`
}

/**
 * The newest row's cursor values as text among the window's rows (a row with a NULL cursor
 * value is never newer: it is not read by any window either).
 *
 * ```sql
 * SELECT ARRAY["updated_at"::text] AS mark FROM "public"."orders" WHERE … AND "updated_at" IS NOT NULL
 *  ORDER BY "updated_at" DESC LIMIT 1
 * ```
 */
export function highWaterMarkSql(table: TableDef, source: string, cursor: readonly string[], window: CursorWindow | undefined): string {
  const where = [cursorWindowSql(table, window).replace(/^WHERE /, ''), ...cursor.map((c) => `${quoteIdent(c)} IS NOT NULL`)].filter((w) => w !== '')
  return (
    `SELECT ARRAY[${cursor.map((c) => `${quoteIdent(c)}::text`).join(', ')}] AS mark FROM ${source} WHERE ${where.join(' AND ')} ` +
    `ORDER BY ${cursor.map((c) => `${quoteIdent(c)} DESC`).join(', ')} LIMIT 1`
  )
}
