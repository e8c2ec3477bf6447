import type pg from 'pg'
import { EltError, quoteIdent } from '@elt/core'
import { sourceName, targetName, type TableDef } from '../introspect/catalog.ts'

/** SQLSTATE 57014 with the server's "canceling statement due to statement timeout". */
function isStatementTimeout(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === '57014' && /statement timeout/i.test(error.message)
}

/**
 * A table's load cancelled by a server's `statement_timeout`, explained: the table, the side
 * and the setting's value, and how to lift it. Call it after the failed transactions were
 * rolled back; a client closed by the failure (the other end of a COPY) does not answer, so
 * the side that does and has a timeout is named. Any other error is returned as it is.
 *
 * ```sql
 * select current_setting('statement_timeout') as timeout, current_user as role
 * ```
 */
export async function explainTimeout(
  error: unknown,
  table: TableDef,
  clients: { source: pg.ClientBase; destination: pg.ClientBase },
): Promise<unknown> {
  if (!isStatementTimeout(error)) return error
  const read = async (side: 'source' | 'destination') => {
    const { rows } = await clients[side]
      .query<{ timeout: string; role: string }>(`select current_setting('statement_timeout') as timeout, current_user as role`)
      .catch(() => ({ rows: [] }))
    const row = rows[0]
    return row === undefined || row.timeout === '0' ? [] : [{ side, ...row }]
  }
  const limits = (await Promise.all([read('destination'), read('source')])).flat()
  const named = limits.length === 0 ? 'a statement_timeout' : limits.map((l) => `the ${l.side}'s statement_timeout (${l.timeout})`).join(' or ')
  const how = limits.map((l) => `\`ALTER ROLE ${quoteIdent(l.role)} SET statement_timeout = 0\` on the ${l.side}`).join(' and ')
  return new EltError(`Loading ${sourceName(table)} into ${targetName(table)} was cancelled by ${named}.`, {
    hint: `The previous copy of ${targetName(table)} (if any) was kept. Let the replication's role run longer statements${how ? ` (${how}, or a larger value)` : ''}, then rerun.`,
    cause: error,
  })
}
