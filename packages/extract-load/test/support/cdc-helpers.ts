import { randomBytes } from 'node:crypto'
import { createTestDatabase } from '@elt/core/testing'
import { replicateCdc, type ReplicateCdcOptions } from '../../src/sources/postgres-cdc/index.ts'
import type { Pair } from '../helpers.ts'

/** A source and destination database on a server with wal_level=logical, and a pipeline name of their own (slots are per server). */
export async function createCdcPair(adminUrl: string, prefix: string): Promise<Pair & { pipeline: string }> {
  const [source, destination] = await Promise.all([createTestDatabase(adminUrl, `${prefix}_src`), createTestDatabase(adminUrl, `${prefix}_dst`)])
  const pipeline = `${prefix}_${randomBytes(3).toString('hex')}`
  return {
    source,
    destination,
    pipeline,
    drop: async () => {
      await source.query(`select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = $1 and not active`, [`elt_${pipeline}`]).catch(() => {})
      await Promise.all([source.drop(), destination.drop()])
    },
  }
}

/** `replicateCdc` between the pair with test-friendly defaults. */
export function runCdc(pair: Pair & { pipeline: string }, tables: string[], options: Partial<ReplicateCdcOptions> = {}) {
  return replicateCdc({
    sourceName: pair.pipeline,
    source: { label: 'source', url: pair.source.url },
    destination: { label: 'destination', url: pair.destination.url },
    tables,
    targetSchema: 'raw',
    jobs: 2,
    retry: { maxRetries: 1, delaySeconds: 0.1 },
    connectWaitSeconds: 5,
    heartbeatSeconds: 1,
    ...options,
  })
}

/** Polls `check` every 50 ms until it returns true; fails after `seconds`. */
export async function waitFor(what: string, check: () => Promise<boolean>, seconds = 20): Promise<void> {
  const deadline = Date.now() + seconds * 1000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** A table's rows as JSON text, ordered: compared source against raw. */
export async function rowsOf(db: { query: Pair['source']['query'] }, table: string, order: string): Promise<string[]> {
  const rows = await db.query<{ r: string }>(`select to_jsonb(t)::text as r from ${table} t order by ${order}`)
  return rows.map((x) => x.r)
}
