import { quoteIdent } from '@elt/core'
import type { CsvColumn } from './csv-source-options.ts'

/**
 * `CREATE TABLE` for a CSV source's columns, names quoted exactly as in the header (tests, the
 * benchmark, and the writer's shadow table).
 *
 * ```ts
 * csvTableDdl('"raw"."sales"', [{ name: 'id', type: 'integer' }, { name: 'Zip', type: 'text' }])
 * // CREATE TABLE "raw"."sales" ("id" integer, "Zip" text)
 * ```
 */
export function csvTableDdl(table: string, columns: readonly Pick<CsvColumn, 'name' | 'type'>[]): string {
  return `CREATE TABLE ${table} (${columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ')})`
}
