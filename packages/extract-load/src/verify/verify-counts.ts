import type pg from 'pg'
import { EltError, qualifiedName } from '@elt/core'
import { sourceName, targetName, type TableDef } from '../introspect/catalog.ts'

/**
 * Compares each destination table's row count with the count read from the source in the
 * snapshot (the source side's `COPY` row count, or the recorded count of a resumed table).
 * `onMismatch` marks a table so that a rerun copies it again instead of resuming it.
 *
 * ```sql
 * select count(*) from "raw"."films"
 * ```
 */
export async function verifyCounts(
  destination: pg.ClientBase,
  tables: readonly TableDef[],
  expected: ReadonlyMap<string, number>,
  onMismatch?: (table: TableDef) => Promise<void>,
): Promise<void> {
  const mismatches: string[] = []
  for (const table of tables) {
    const want = expected.get(sourceName(table))
    if (want === undefined) continue
    const { rows } = await destination.query<{ n: string }>(`select count(*)::text as n from ${qualifiedName(table.targetSchema, table.name)}`)
    const got = Number(rows[0]?.n)
    if (got === want) continue
    mismatches.push(`${targetName(table)} has ${got} rows, the source ${sourceName(table)} had ${want}`)
    await onMismatch?.(table)
  }
  if (mismatches.length > 0) {
    throw new EltError(`Row counts differ after replication: ${mismatches.join('; ')}.`, {
      hint: 'Something changed the destination tables during the run, or a resumed table is stale: rerun (those tables are copied again) or use --fresh.',
    })
  }
}
