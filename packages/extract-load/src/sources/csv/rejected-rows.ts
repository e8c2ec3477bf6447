import type pg from 'pg'
import { migrate } from '@elt/core'

/**
 * `_elt_audit.rejected_rows`: the rows a CSV load with `onError: 'quarantine'` kept out, one per
 * bad row. Append-only list: never edit an entry, add a new one.
 */
const migrations = [
  `create schema if not exists _elt_audit`,
  `create table _elt_audit.rejected_rows (
    run_id uuid not null,
    source text not null,
    target_table text not null,
    file text not null,
    line bigint not null,
    raw text not null,
    reason text not null,
    rejected_at timestamptz not null default now()
  )`,
  `create index rejected_rows_run on _elt_audit.rejected_rows (run_id, target_table)`,
]

export async function migrateRejectedRows(client: pg.ClientBase): Promise<void> {
  await migrate(client, 'csv-source', migrations)
}

/** A CSV row kept out of the load: where it is, its text as in the file, and why. */
export interface RejectedCsvRow {
  file: string
  line: number
  raw: string
  reason: string
}

/** Longest raw text kept per rejected row (an unterminated quote can make one row of the rest of a file). */
export const maxRejectedRawChars = 10_000

/**
 * Writes rejected rows to `_elt_audit.rejected_rows` in batches (one parameterised INSERT per
 * batch), so memory stays flat however many rows are bad. Use a client other than the one running
 * the COPY: a connection in COPY mode takes no other query.
 *
 * ```ts
 * const rejected = new RejectedRowsWriter(auditClient, { runId, source: 'csv', targetTable: 'raw.sales' })
 * await rejected.add({ file, line: 17, raw: '3,abc', reason: 'column "amount": "abc" is not a valid integer' })
 * await rejected.flush()
 * // insert into _elt_audit.rejected_rows (run_id, source, target_table, file, line, raw, reason)
 * // select $1, $2, $3, * from unnest($4::text[], $5::bigint[], $6::text[], $7::text[])
 * ```
 */
export class RejectedRowsWriter {
  /** Rows added so far (written or pending). */
  count = 0
  private pending: RejectedCsvRow[] = []

  constructor(
    private readonly client: pg.ClientBase,
    private readonly target: { runId: string; source: string; targetTable: string },
    private readonly batchSize = 1000,
  ) {}

  async add(row: RejectedCsvRow): Promise<void> {
    this.count++
    this.pending.push(row.raw.length > maxRejectedRawChars ? { ...row, raw: `${row.raw.slice(0, maxRejectedRawChars)}…` } : row)
    if (this.pending.length >= this.batchSize) await this.flush()
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return
    const rows = this.pending
    this.pending = []
    await this.client.query(
      `insert into _elt_audit.rejected_rows (run_id, source, target_table, file, line, raw, reason)
       select $1, $2, $3, * from unnest($4::text[], $5::bigint[], $6::text[], $7::text[])`,
      [
        this.target.runId,
        this.target.source,
        this.target.targetTable,
        rows.map((r) => r.file),
        rows.map((r) => r.line),
        rows.map((r) => r.raw.replace(/\u0000/g, '')),
        rows.map((r) => r.reason),
      ],
    )
  }

  /**
   * Forgets what an earlier attempt of the same load recorded (before a retry with widened types).
   *
   * ```sql
   * delete from _elt_audit.rejected_rows where run_id = $1 and target_table = $2
   * ```
   */
  async clear(): Promise<void> {
    this.pending = []
    this.count = 0
    await this.client.query(`delete from _elt_audit.rejected_rows where run_id = $1 and target_table = $2`, [this.target.runId, this.target.targetTable])
  }
}
