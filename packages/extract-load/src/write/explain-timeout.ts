import type pg from 'pg'
import { EltError, quoteIdent } from '@elt/core'
import { sourceName, targetName, type TableDef } from '../introspect/catalog.ts'

/** SQLSTATE 57014 with the server's "canceling statement due to statement timeout". */
export function isStatementTimeout(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === '57014' && /statement timeout/i.test(error.message)
}

/** A side's `statement_timeout` and the role it applies to. */
export interface StatementTimeoutLimit {
  side: 'source' | 'destination'
  timeout: string
  role: string
}

/**
 * The `statement_timeout` of the session behind `client`, when it answers and has one (a client
 * closed by the failure, the other end of a COPY, does not answer).
 *
 * ```sql
 * select current_setting('statement_timeout') as timeout, current_user as role
 * ```
 */
export async function readTimeoutLimit(client: pg.ClientBase, side: 'source' | 'destination'): Promise<StatementTimeoutLimit | undefined> {
  const { rows } = await client
    .query<{ timeout: string; role: string }>(`select current_setting('statement_timeout') as timeout, current_user as role`)
    .catch(() => ({ rows: [] }))
  const row = rows[0]
  return row === undefined || row.timeout === '0' ? undefined : { side, ...row }
}

/**
 * A table's load cancelled by a server's `statement_timeout`, explained: the table, the side
 * and the setting's value, and how to lift it. The reader names its side (see the postgres
 * reader's `explain`), the writer the destination's; with no side known, "a statement_timeout".
 *
 * ```ts
 * statementTimeoutError(error, table, [{ side: 'destination', timeout: '1s', role: 'elt' }])
 * // Loading public.big into raw.big was cancelled by the destination's statement_timeout (1s).
 * ```
 */
export function statementTimeoutError(error: unknown, table: TableDef, limits: readonly StatementTimeoutLimit[]): EltError {
  const named = limits.length === 0 ? 'a statement_timeout' : limits.map((l) => `the ${l.side}'s statement_timeout (${l.timeout})`).join(' or ')
  const how = limits.map((l) => `\`ALTER ROLE ${quoteIdent(l.role)} SET statement_timeout = 0\` on the ${l.side}`).join(' and ')
  return new EltError(`Loading ${sourceName(table)} into ${targetName(table)} was cancelled by ${named}.`, {
    hint: `The previous copy of ${targetName(table)} (if any) was kept. Let the replication's role run longer statements${how ? ` (${how}, or a larger value)` : ''}, then rerun.`,
    cause: error,
  })
}
