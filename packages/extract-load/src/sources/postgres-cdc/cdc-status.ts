import type pg from 'pg'

/** A slot as `pnpm elt cdc status` shows it. */
export interface CdcSlotStatus {
  slot: string
  publication: string
  exists: boolean
  /** A `--follow` is streaming from it now. */
  active: boolean
  confirmedLsn: string | null
  currentLsn: string
  /** WAL written since the confirmed position (what is not applied yet, at most). */
  lagBytes: number | null
  /** WAL the slot keeps on the source's disk (from its restart position). */
  retainedBytes: number | null
  /** Seconds since the destination last applied, when the slot is behind; 0 when caught up. */
  lagSeconds: number | null
  appliedAt: Date | null
}

/**
 * The slot's lag and retained WAL, read on the source (`appliedAt` from the destination's state).
 *
 * ```sql
 * select active, confirmed_flush_lsn::text, pg_current_wal_lsn()::text,
 *        pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn) as lag_bytes,
 *        pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) as retained_bytes
 * from pg_replication_slots where slot_name = $1
 * ```
 */
export async function cdcSlotStatus(source: pg.ClientBase, names: { slot: string; publication: string }, appliedAt: Date | null): Promise<CdcSlotStatus> {
  const { rows } = await source.query<{ active: boolean; confirmed: string | null; current: string; lag_bytes: string | null; retained_bytes: string | null }>(
    `select s.active, s.confirmed_flush_lsn::text as confirmed, pg_current_wal_lsn()::text as current,
            pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn)::text as lag_bytes,
            pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::text as retained_bytes
     from (select 1) one left join pg_replication_slots s on s.slot_name = $1`,
    [names.slot],
  )
  const row = rows[0]!
  const exists = row.confirmed !== null
  const lagBytes = row.lag_bytes === null ? null : Math.max(0, Number(row.lag_bytes))
  return {
    ...names,
    exists,
    active: row.active ?? false,
    confirmedLsn: row.confirmed,
    currentLsn: row.current,
    lagBytes,
    retainedBytes: row.retained_bytes === null ? null : Math.max(0, Number(row.retained_bytes)),
    lagSeconds: lagBytes === null ? null : lagBytes === 0 || appliedAt === null ? 0 : Math.max(0, (Date.now() - appliedAt.getTime()) / 1000),
    appliedAt,
  }
}
