import pg from 'pg'
import { EltError, quoteIdent, qualifiedName, sleep } from '@elt/core'
import { splitTableName } from './check-cdc-source.ts'

/**
 * Creates the pipeline's publication over exactly `tables` (re-created when it exists).
 *
 * ```sql
 * drop publication if exists "elt_postgres"; create publication "elt_postgres" for table "public"."accounts", "public"."orders"
 * ```
 */
export async function createPublication(source: pg.ClientBase, publication: string, tables: readonly string[]): Promise<void> {
  await source.query(`drop publication if exists ${quoteIdent(publication)}`)
  const list = tables.map((t) => qualifiedName(...splitTableName(t))).join(', ')
  await source.query(`create publication ${quoteIdent(publication)} for table ${list}`)
}

/**
 * Sets the publication's tables to exactly `tables` (added ones are streamed from this statement's
 * commit on, removed ones no longer).
 *
 * ```sql
 * alter publication "elt_postgres" set table "public"."accounts", "public"."orders"
 * ```
 */
export async function setPublicationTables(source: pg.ClientBase, publication: string, tables: readonly string[]): Promise<void> {
  const list = tables.map((t) => qualifiedName(...splitTableName(t))).join(', ')
  await source.query(`alter publication ${quoteIdent(publication)} set table ${list}`)
}

/**
 * Makes every decoder of the publication look its tables up again: their relation caches are
 * invalidated when a stream decodes this statement's commit. Sources before PostgreSQL 15.13 /
 * 16.9 / 17.5 keep a table added by `ALTER PUBLICATION` as "not published" in a stream's cache when
 * a transaction running across that statement touched it; this, once those transactions ended,
 * corrects it.
 *
 * ```sql
 * alter publication "elt_postgres" set (publish = 'insert, update, delete, truncate')
 * ```
 */
export async function invalidatePublication(source: pg.ClientBase, publication: string): Promise<void> {
  await source.query(`alter publication ${quoteIdent(publication)} set (publish = 'insert, update, delete, truncate')`)
}

/**
 * Waits until the source transactions running now (those with a transaction id) have ended.
 *
 * ```sql
 * select pg_snapshot_xip(pg_current_snapshot())::text as xid
 * select 1 from unnest($1::xid8[]) x where pg_xact_status(x) = 'in progress'
 * ```
 */
export async function waitForRunningTransactions(source: pg.ClientBase, signal?: AbortSignal): Promise<void> {
  const { rows } = await source.query<{ xid: string }>('select pg_snapshot_xip(pg_current_snapshot())::text as xid')
  const xids = rows.map((r) => r.xid)
  while (xids.length > 0 && !signal?.aborted) {
    const { rows: open } = await source.query("select 1 from unnest($1::xid8[]) x where pg_xact_status(x) = 'in progress'", [xids])
    if (open.length === 0) return
    await sleep(100, signal)
  }
}

/** How long a slot still in use is waited for: a walsender ends a moment after its follower stopped. */
export const slotReleaseMs = 5_000

/**
 * Waits up to 5 s for the slot to be free: the walsender of a follower that stopped a moment ago
 * (Ctrl-C, a scheduled run that just finished) still holds it until it notices. Returns whether
 * the slot exists and the pid of the walsender still holding it after the wait, if any.
 *
 * ```sql
 * select active_pid as pid from pg_replication_slots where slot_name = $1   -- every 100 ms while not null
 * ```
 */
export async function waitForSlotRelease(source: pg.ClientBase, slot: string, signal?: AbortSignal): Promise<{ exists: boolean; heldBy: number | undefined }> {
  const deadline = Date.now() + slotReleaseMs
  for (;;) {
    const { rows } = await source.query<{ pid: number | null }>('select active_pid as pid from pg_replication_slots where slot_name = $1', [slot])
    const pid = rows[0]?.pid ?? undefined
    if (pid === undefined || Date.now() >= deadline || signal?.aborted) return { exists: rows.length > 0, heldBy: pid }
    await sleep(100, signal)
  }
}

/**
 * Refuses a slot a running `--follow` streams from (it could not know what is done next to it),
 * after waiting a moment for a walsender that is ending (see {@link waitForSlotRelease}); `what` is
 * the action to retry after stopping it. Returns whether the slot exists.
 */
export async function assertSlotIdle(source: pg.ClientBase, slot: string, what: string): Promise<boolean> {
  const { exists, heldBy } = await waitForSlotRelease(source, slot)
  if (heldBy !== undefined) {
    throw new EltError(`The replication slot "${slot}" is in use (pid ${heldBy}): a pnpm elt replicate --follow is streaming from it.`, {
      hint: `Stop that process (Ctrl-C) first, then ${what}.`,
    })
  }
  return exists
}

/** Whether the slot exists. */
export async function slotExists(source: pg.ClientBase, slot: string): Promise<boolean> {
  const { rows } = await source.query('select 1 from pg_replication_slots where slot_name = $1', [slot])
  return rows.length > 0
}

/**
 * Drops the slot (when it exists) and the publication. A slot in use by a running `--follow` is refused.
 *
 * ```sql
 * select pg_drop_replication_slot($1); drop publication if exists "elt_postgres"
 * ```
 */
export async function dropSlotAndPublication(source: pg.ClientBase, names: { slot: string; publication: string }): Promise<{ slot: boolean; publication: boolean }> {
  const slot = await assertSlotIdle(source, names.slot, 'drop the slot')
  if (slot) await source.query('select pg_drop_replication_slot($1)', [names.slot])
  const { rowCount } = await source.query('select 1 from pg_publication where pubname = $1', [names.publication])
  await source.query(`drop publication if exists ${quoteIdent(names.publication)}`)
  return { slot: slot !== undefined, publication: (rowCount ?? 0) > 0 }
}

/**
 * Creates the logical slot on a replication connection and keeps that connection open: its
 * exported snapshot (valid while the connection lives and runs nothing else) is the initial
 * copy's, and the slot's stream starts exactly at `consistentPoint` — the snapshot's instant:
 * the snapshot holds exactly the transactions whose commit record lies before it. A `temporary`
 * slot only serves its snapshot (a table copied alone while the pipeline's slot goes on); it is
 * dropped when the connection closes.
 *
 * ```sql
 * CREATE_REPLICATION_SLOT "elt_postgres" LOGICAL pgoutput (SNAPSHOT 'export')
 * CREATE_REPLICATION_SLOT "elt_postgres_copy_1a2b3c" TEMPORARY LOGICAL pgoutput (SNAPSHOT 'export')
 * ```
 */
export async function createSlotWithSnapshot(replication: pg.ClientConfig, slot: string, options: { temporary?: boolean } = {}): Promise<{ consistentPoint: string; snapshotId: string; close(): Promise<void> }> {
  const client = new pg.Client({ ...replication, replication: 'database' } as pg.ClientConfig)
  client.on('error', () => {})
  await client.connect()
  try {
    const { rows } = await client.query<{ consistent_point: string; snapshot_name: string }>(`CREATE_REPLICATION_SLOT ${quoteIdent(slot)}${options.temporary ? ' TEMPORARY' : ''} LOGICAL pgoutput (SNAPSHOT 'export')`)
    const row = rows[0]
    if (!row) throw new EltError(`Creating the replication slot "${slot}" returned nothing.`)
    return { consistentPoint: row.consistent_point, snapshotId: row.snapshot_name, close: async () => void (await client.end().catch(() => {})) }
  } catch (error) {
    await client.end().catch(() => {})
    throw error
  }
}
