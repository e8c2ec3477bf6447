import { randomUUID } from 'node:crypto'
import os from 'node:os'
import type pg from 'pg'
import { connectClient, defaultStallSeconds, EltError, ExitCode, holdRunLock, markAbandoned, silentLogger, watchedClientStep, type DatabaseTarget, type Logger } from '@elt/core'
import { applyBatch, type TableCounts } from './apply/apply-batch.ts'
import { migrateDocuments } from './apply/document-state.ts'
import { prepareDocument } from './apply/prepare-document.ts'
import { createStagingSql, createTablesSql } from './apply/table-sql.ts'
import type { DocumentMapping } from './mapping/define-document-mapping.ts'
import { dateValue } from './mapping/bson-values.ts'
import type { DocumentReader } from './readers/document-reader.ts'

export interface DocumentSourceToLoad<Config> {
  /** The source's name in the config (`ccb`): run records, rejection records, the high-water mark. */
  name: string
  reader: DocumentReader<Config>
  config: Config
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a mapping of any document type
  mapping: DocumentMapping<any>
  targetSchema: string
  /** Read only documents newer than the last run's high-water mark of this field. */
  incremental?: { field: string }
}

export interface LoadDocumentsOptions<Config> {
  destination: DatabaseTarget
  source: DocumentSourceToLoad<Config>
  /** Documents per transaction (default 2,000). */
  batchSize?: number
  /** Rejected / read above this fails the load (status `error`, exit 1); default 0.05. */
  maxRejectedRatio?: number
  /** The `_elt.runs` id of the command; default a new one. */
  runId?: string
  /** Relative paths of the source resolve against it (the config file's folder). */
  baseDir?: string
  connectWaitSeconds?: number
  /** Seconds the destination may pass no data while a statement is in flight before its session is looked at (default 60; see `watchForStall`). */
  stallSeconds?: number
  logger?: Logger
  signal?: AbortSignal
  /** After each committed batch: totals so far. */
  onBatch?: (progress: { source: string; documents: number; rejected: number; batches: number }) => void
}

export interface DocumentLoadSummary {
  runId: string
  source: string
  mapping: string
  targetSchema: string
  status: 'success' | 'error'
  message?: string
  documents: number
  loaded: number
  rejected: number
  batches: number
  seconds: number
  tables: TableCounts[]
}

export const defaultMaxRejectedRatio = 0.05
export const defaultDocumentBatchSize = 2000
/** temp_buffers and work_mem of a load's session: a batch's staging tables and the sorts of its upserts without spilling to disk. */
const stagingMemory = '64MB'
/** How long a load waits for another one into the same schema (or a killed one's backend) to let go. */
const lockWaitSeconds = 30

/**
 * Loads one document source: read → validate (a failing document is rejected whole into
 * `_elt_audit.rejected_documents`) → normalise to rows → per batch, in one transaction, COPY into
 * staging tables and one set-based upsert per target table (parents first; children synced to
 * their newest document). A rerun of the same input writes nothing. Batches commit one by one:
 * a killed load keeps whole batches and the rerun completes it. The statements (not the reading:
 * a source may be slow) are watched for a destination connection gone silent (see `watchedStep`):
 * the load then fails, keeping the batches committed before.
 *
 * ```ts
 * const summary = await loadDocuments({ destination, source: { name: 'ccb', reader: mongodbExportReader,
 *   config: { kind: 'mongodb-export', path: 'ccb.jsonl' }, mapping: ccb_contracts, targetSchema: 'ccb' } })
 * // { status: 'success', documents: 300, loaded: 291, rejected: 9, tables: [{ table: 'clientes', inserted: 240, … }, …] }
 * ```
 */
export async function loadDocuments<Config>(options: LoadDocumentsOptions<Config>): Promise<DocumentLoadSummary> {
  const started = performance.now()
  const { source } = options
  const logger = options.logger ?? silentLogger
  const runId = options.runId ?? randomUUID()
  const batchSize = options.batchSize ?? defaultDocumentBatchSize
  const maxRatio = options.maxRejectedRatio ?? defaultMaxRejectedRatio
  const mapping = source.mapping as DocumentMapping<unknown>
  const client = await connectClient(options.destination, { applicationName: 'elt-documents', waitSeconds: options.connectWaitSeconds, logger })
  const totals = new Map<string, TableCounts>(Object.keys(mapping.tables).map((table) => [table, { table, inserted: 0, updated: 0, deleted: 0, unchanged: 0 }]))
  const summary: DocumentLoadSummary = {
    runId, source: source.name, mapping: mapping.name, targetSchema: source.targetSchema, status: 'success',
    documents: 0, loaded: 0, rejected: 0, batches: 0, seconds: 0, tables: [...totals.values()],
  }
  const lockKey = `elt:documents:${source.targetSchema}`
  let applying: Promise<void> | undefined
  let locked = false
  /** `step`'s statements, given up (the connection closed, the session ended) when the destination goes silent. */
  const watched = <T>(what: string, step: () => Promise<T>) =>
    watchedClientStep(
      client,
      options.destination,
      { what: `${what} (documents ${source.name})`, seconds: options.stallSeconds ?? defaultStallSeconds, hint: 'Its connection was closed: the batches committed before stay, and a rerun completes the load.' },
      step,
    )
  try {
    const since = await watched('preparing the load', async () => {
      await migrateDocuments(client)
      // this load's liveness: held until the session ends, so a killed load is seen gone
      await holdRunLock(client, runId)
      // one load per target schema; a killed load's backend may still hold it for a moment, so wait a little
      await client.query(`set lock_timeout = '${Math.round(lockWaitSeconds * 1000)}ms'`)
      try {
        await client.query('select pg_advisory_lock(hashtext($1))', [lockKey])
        locked = true
      } catch (error) {
        throw new EltError(`Another document load into schema ${source.targetSchema} is running (waited ${lockWaitSeconds} s for it).`, {
          hint: 'Wait for it to finish (or stop it), then rerun.',
          exitCode: ExitCode.failure,
          cause: error,
        })
      }
      await client.query('reset lock_timeout')
      // loads left 'running' by a process that is gone (this schema's previous holder among them)
      await markAbandoned(client, 'document_loads')
      await client.query('begin')
      for (const sql of createTablesSql(mapping, source.targetSchema)) await client.query(sql)
      await client.query('commit')
      // a batch's staging rows (≈ 55,000 parcelas of 2,000 contracts) and the sorts joining them fit in memory:
      // temp_buffers must be set before the session's first temp table; both are this session's only
      await client.query(`set temp_buffers = '${stagingMemory}'; set work_mem = '${stagingMemory}'`)
      for (const sql of createStagingSql(mapping)) await client.query(sql)
      await client.query(
        `insert into _elt.document_loads (run_id, source, mapping, target_schema, description, status, pid, host) values ($1, $2, $3, $4, $5, 'running', $6, $7)
         on conflict (run_id, source) do update set status = 'running', started_at = now(), finished_at = null, pid = excluded.pid, host = excluded.host`,
        [runId, source.name, mapping.name, source.targetSchema, source.reader.describe(source.config), process.pid, os.hostname()],
      )
      return source.incremental
        ? (await client.query<{ mark: Date }>('select mark from _elt.document_marks where source = $1 and field = $2', [source.name, source.incremental.field])).rows[0]?.mark
        : undefined
    })
    let batch = new Batch()
    // one batch is applied by the server while the next one is read and prepared here (2 in memory at most)
    const flush = async () => {
      if (batch.documents === 0) return
      const ready = batch
      batch = new Batch()
      await applying
      applying = watched(`applying batch ${summary.batches + 1}`, () => commitBatch(client, options, mapping, runId, ready, totals)).then(() => {
        summary.documents += ready.documents
        summary.rejected += ready.rejected.length
        summary.loaded += ready.documents - ready.rejected.length
        summary.batches++
        options.onBatch?.({ source: source.name, documents: summary.documents, rejected: summary.rejected, batches: summary.batches })
      })
      applying.catch(() => {}) // awaited by the next flush or at the end
    }
    for await (const document of source.reader.read(source.config, { since, baseDir: options.baseDir, signal: options.signal })) {
      const prepared = prepareDocument(mapping, document, batch.documents)
      batch.documents++
      if (prepared.ok) for (const [table, text] of prepared.lines) batch.lines.get(table)?.push(text) ?? batch.lines.set(table, [text])
      else batch.rejected.push(prepared)
      if (source.incremental) {
        const value = dateValue(document[source.incremental.field])
        if (value && (!batch.mark || value > batch.mark)) batch.mark = value
      }
      if (batch.documents >= batchSize) {
        options.signal?.throwIfAborted()
        await flush()
      }
    }
    await flush()
    await applying
    const ratio = summary.documents === 0 ? 0 : summary.rejected / summary.documents
    if (ratio > maxRatio) {
      summary.status = 'error'
      summary.message =
        `${summary.rejected} of ${summary.documents} documents of source ${source.name} were rejected (${(ratio * 100).toFixed(1)} %, more than maxRejectedRatio ${maxRatio}); ` +
        `see _elt_audit.rejected_documents where run_id = '${runId}'`
    }
    summary.seconds = (performance.now() - started) / 1000
    await watched('recording the load', () => client.query(`update _elt.document_loads set status = $3, finished_at = now(), message = $4 where run_id = $1 and source = $2`, [runId, source.name, summary.status, summary.message ?? null]))
    logger.debug(`documents ${source.name}: ${summary.documents} read, ${summary.rejected} rejected, ${summary.batches} batches in ${summary.seconds.toFixed(2)} s`)
    return summary
  } catch (error) {
    await applying?.catch(() => {})
    await client.query('rollback').catch(() => {})
    await client
      .query(`update _elt.document_loads set status = 'error', finished_at = now(), message = $3 where run_id = $1 and source = $2`, [runId, source.name, error instanceof Error ? error.message : String(error)])
      .catch(() => {})
    throw error
  } finally {
    if (locked) await client.query('select pg_advisory_unlock(hashtext($1))', [lockKey]).catch(() => {})
    await client.end().catch(() => {})
  }
}

class Batch {
  documents = 0
  lines = new Map<string, string[]>()
  rejected: Extract<ReturnType<typeof prepareDocument>, { ok: false }>[] = []
  mark: Date | undefined
}

/** One transaction: the batch's rows applied, its rejections, the counts and the high-water mark recorded. */
async function commitBatch<C>(client: pg.ClientBase, options: LoadDocumentsOptions<C>, mapping: DocumentMapping<unknown>, runId: string, batch: Batch, totals: Map<string, TableCounts>): Promise<void> {
  const { source } = options
  await client.query('begin')
  const counts = await applyBatch(client, mapping, source.targetSchema, batch.lines)
  if (batch.rejected.length > 0) {
    await client.query(
      `insert into _elt_audit.rejected_documents (run_id, source, document_id, numero_ccb, reasons, document)
       select $1, $2, d.id, d.key, array(select jsonb_array_elements_text(d.reasons)), d.document
       from unnest($3::text[], $4::text[], $5::jsonb[], $6::jsonb[]) as d(id, key, reasons, document)`,
      [runId, source.name, batch.rejected.map((r) => r.documentId), batch.rejected.map((r) => r.businessKey), batch.rejected.map((r) => JSON.stringify(r.reasons)), batch.rejected.map((r) => r.json)],
    )
  }
  await client.query(
    `insert into _elt.document_table_counts as c (run_id, source, table_name, inserted, updated, deleted, unchanged)
     select $1, $2, t.name, t.inserted, t.updated, t.deleted, t.unchanged from unnest($3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[]) as t(name, inserted, updated, deleted, unchanged)
     on conflict (run_id, source, table_name) do update set inserted = c.inserted + excluded.inserted, updated = c.updated + excluded.updated,
       deleted = c.deleted + excluded.deleted, unchanged = c.unchanged + excluded.unchanged`,
    [runId, source.name, counts.map((c) => c.table), counts.map((c) => c.inserted), counts.map((c) => c.updated), counts.map((c) => c.deleted), counts.map((c) => c.unchanged)],
  )
  await client.query(
    `update _elt.document_loads set documents = documents + $3, rejected = rejected + $4, loaded = loaded + $3 - $4, batches = batches + 1 where run_id = $1 and source = $2`,
    [runId, source.name, batch.documents, batch.rejected.length],
  )
  if (source.incremental && batch.mark) {
    await client.query(
      `insert into _elt.document_marks as m (source, field, mark, run_id) values ($1, $2, $3, $4)
       on conflict (source) do update set field = excluded.field, mark = greatest(m.mark, excluded.mark), run_id = excluded.run_id, updated_at = now()`,
      [source.name, source.incremental.field, batch.mark, runId],
    )
  }
  await client.query('commit')
  for (const count of counts) {
    const total = totals.get(count.table)!
    total.inserted += count.inserted
    total.updated += count.updated
    total.deleted += count.deleted
    total.unchanged += count.unchanged
  }
}
