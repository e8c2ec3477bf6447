import { randomBytes } from 'node:crypto'
import type pg from 'pg'
import { loadSources } from '../../write/load-sources.ts'
import type { LoadSourcesSummary } from '../../write/load-sources-options.ts'
import { postgresReader } from '../postgres/postgres-reader.ts'
import { assertSlotIdle, createPublication, createSlotWithSnapshot, dropSlotAndPublication, invalidatePublication, setPublicationTables, waitForRunningTransactions } from './cdc-slot.ts'
import { markTablesForCopy, readCdcState, recordTableCopies, writeCdcState, type CdcPipelineState } from './cdc-state.ts'
import { splitTableName } from './check-cdc-source.ts'
import type { ReplicateCdcOptions } from './replicate-cdc.ts'

/** A copy of some of a pipeline's tables: its summary and the new state. */
export interface CdcCopy {
  state: CdcPipelineState
  summary: LoadSourcesSummary
  /** The tables copied (`public.accounts`). */
  copied: string[]
}

/**
 * Runs work done on other connections (slot creation, the copies: those watch themselves), during
 * which the preparation's own sessions wait legitimately: `replicateCdc`'s stall watch looks away.
 */
export type Elsewhere = <T>(work: () => Promise<T>) => Promise<T>

/**
 * The pipeline's first copy: publication, slot with its exported snapshot, every table copied as
 * of that snapshot, then the state (the stream starts at the slot's consistent point) — in that
 * order, so a failure anywhere starts over cleanly.
 *
 * ```sql
 * CREATE_REPLICATION_SLOT "elt_postgres" LOGICAL pgoutput (SNAPSHOT 'export')
 * ```
 */
export async function initialCopyWithSlot(
  options: ReplicateCdcOptions,
  source: pg.Client,
  destination: pg.Client,
  replication: pg.ClientConfig,
  names: { slot: string; publication: string },
  tables: string[],
  elsewhere: Elsewhere = (work) => work(),
): Promise<CdcCopy> {
  await dropSlotAndPublication(source, names)
  await createPublication(source, names.publication, tables)
  const slot = await elsewhere(() => createSlotWithSnapshot(replication, names.slot))
  try {
    const summary = await elsewhere(() => copyWithSnapshot(options, tables, slot.snapshotId))
    const state = { pipeline: options.sourceName, ...names, tables, appliedLsn: slot.consistentPoint, copiedLsns: {} }
    await writeCdcState(destination, state)
    return { state, summary, copied: tables }
  } finally {
    await slot.close()
  }
}

/**
 * Copies `due` alone while the pipeline's slot goes on for its other tables (a `--full-refresh`
 * of some cdc tables, a table added to the cdc set, a copy a crash interrupted): the tables are
 * marked as due first, the publication is set to `tables` (when a table was added: then, once the
 * transactions running across that ended, invalidated — see `invalidatePublication`), then a temporary slot created at LSN L
 * lends its exported snapshot to the copy, and L is recorded per copied table — the stream skips
 * their transactions committed before L (already in the copy) and applies the later ones. A run
 * that dies before L is recorded copies them again. Tables no longer in `tables` stop being applied.
 *
 * ```sql
 * alter publication "elt_postgres" set table "public"."accounts", "public"."orders"
 * CREATE_REPLICATION_SLOT "elt_postgres_copy_1a2b3c" TEMPORARY LOGICAL pgoutput (SNAPSHOT 'export')
 * update _elt.cdc_pipelines set copied_lsns = copied_lsns || '{"public.orders": "0/1A2B3C4"}' where pipeline = 'postgres'
 * ```
 */
export async function copyTablesAlone(
  options: ReplicateCdcOptions,
  source: pg.Client,
  destination: pg.Client,
  replication: pg.ClientConfig,
  state: CdcPipelineState,
  tables: string[],
  due: string[],
  elsewhere: Elsewhere = (work) => work(),
): Promise<CdcCopy | { state: CdcPipelineState; copied: [] }> {
  // a --follow streaming now would apply these tables' changes without knowing of their new copy
  await assertSlotIdle(source, state.slot, `rerun this replicate (it copies ${due.join(', ') || 'nothing'} and updates the publication)`)
  await markTablesForCopy(destination, state.pipeline, tables, due)
  // before the temporary slot: its snapshot's LSN is then after the statement, so the copied tables' later changes are published
  if (tables.join(',') !== [...state.tables].sort().join(',')) {
    await setPublicationTables(source, state.publication, tables)
    if (tables.some((t) => !state.tables.includes(t))) {
      await waitForRunningTransactions(source, options.signal)
      await invalidatePublication(source, state.publication)
    }
  }
  if (due.length > 0) {
    const slot = await elsewhere(() => createSlotWithSnapshot(replication, `${state.slot.slice(0, 50)}_copy_${randomBytes(3).toString('hex')}`, { temporary: true }))
    try {
      const summary = await elsewhere(() => copyWithSnapshot(options, due, slot.snapshotId))
      await recordTableCopies(destination, state.pipeline, due, slot.consistentPoint)
      return { state: (await readCdcState(destination, state.pipeline))!, summary, copied: due }
    } finally {
      await slot.close()
    }
  }
  return { state: (await readCdcState(destination, state.pipeline))!, copied: [] }
}

/** `tables` copied through the shared writer as of an exported snapshot, replacing their raw tables. */
async function copyWithSnapshot(options: ReplicateCdcOptions, tables: string[], snapshotId: string): Promise<LoadSourcesSummary> {
  const schemas = [...new Set(tables.map((t) => splitTableName(t)[0]))]
  return loadSources({
    sources: [{ name: options.sourceName, reader: postgresReader, config: { schemas, include: tables, snapshotId }, targetSchema: options.targetSchema, database: options.source }],
    destination: options.destination,
    fresh: true, // never resume tables of another snapshot: the stream goes on from this one
    ...(options.jobs !== undefined ? { jobs: options.jobs } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.connectWaitSeconds !== undefined ? { connectWaitSeconds: options.connectWaitSeconds } : {}),
    ...(options.stallSeconds !== undefined ? { stallSeconds: options.stallSeconds } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  })
}
