import { randomUUID } from 'node:crypto'
import { documentSourceKinds, type SourceConfig } from '@elt/config'
import { combinedFailure, EltError, endsTheRun, ExitCode, importModule, withPartialResult } from '@elt/core'
import type { DocumentLoadSummary } from '@elt/documents'
import type { CommandContext } from '../context.ts'

/** The configured sources split in two: table sources (loadSources: shadow + swap) and document sources (@elt/documents: upsert). */
export function splitSources(sources: Readonly<Record<string, SourceConfig>>): { tables: Record<string, SourceConfig>; documents: Record<string, SourceConfig> } {
  const tables: Record<string, SourceConfig> = {}
  const documents: Record<string, SourceConfig> = {}
  for (const [name, source] of Object.entries(sources)) (documentSourceKinds.includes(source.kind) ? documents : tables)[name] = source
  return { tables, documents }
}

/** Whether `source:<name>` selectors keep a document source (no selector: every source; a document source loads whole). */
export function documentSelected(name: string, select: readonly string[] | undefined, exclude: readonly string[] | undefined): boolean {
  const names = (list: readonly string[] | undefined) => (list ?? []).map((s) => s.replace(/^source:/, '').split('.')[0])
  return (select === undefined || select.length === 0 || names(select).includes(name)) && !names(exclude).includes(name)
}

/**
 * Loads the document sources (`kind: 'mongodb'` / `'mongodb-export'`) after the table sources, one
 * after the other: each mapping found by name among the models project's exports, documents
 * validated and upserted into `targetSchema` (see @elt/documents). Prints per-table counts on
 * stderr. A source that fails (its rejected documents exceed its `maxRejectedRatio`, its file
 * cannot be read, a document cannot be written) does not hold back the others: the failures are
 * thrown together after every source ran, with the loaded sources' summaries kept for the report
 * (`{ documents }`, see `withPartialResult`). A server or network failure, bad usage or Ctrl-C
 * stops at once (see `endsTheRun`).
 *
 * ```ts
 * const documents = await documentsTask(context, sources, runId) // [{ source: 'ccb', documents: 416, rejected: 17, tables: [...] }]
 * ```
 */
export async function documentsTask(context: CommandContext, sources: Record<string, SourceConfig>, runId: string | undefined): Promise<DocumentLoadSummary[]> {
  if (Object.keys(sources).length === 0) return []
  const project = await importModule(context.config.models.project).catch((error: unknown) => {
    throw new EltError(`Could not load the models project ${context.config.models.project} to find document mappings: ${error instanceof Error ? error.message : String(error)}`, {
      hint: 'Fix the models project, or point models.project in elt.config.ts at the module exporting the mappings.',
      exitCode: ExitCode.usage,
      cause: error,
    })
  })
  const exports = (project ?? {}) as Record<string, unknown>
  const summaries: DocumentLoadSummary[] = []
  const failures: unknown[] = []
  for (const [name, source] of Object.entries(sources)) {
    if (source.kind !== 'mongodb' && source.kind !== 'mongodb-export') continue
    if (context.signal.aborted || failures.some(endsTheRun)) break
    try {
      const summary = await loadDocumentSource(context, exports, name, source, runId)
      summaries.push(summary)
      if (summary.status === 'error') {
        failures.push(new EltError(summary.message ?? `Source "${name}" failed.`, {
          hint: 'Fix the documents (the reasons are in _elt_audit.rejected_documents) or raise maxRejectedRatio on the source; the good documents were loaded.',
        }))
      }
    } catch (error) {
      failures.push(error)
    }
  }
  if (failures.length > 0) throw withPartialResult(combinedFailure(failures, 'document sources failed (the others were loaded)'), { documents: summaries })
  return summaries
}

/** One document source (`name`) loaded through its mapping, its counts printed on stderr. */
async function loadDocumentSource(context: CommandContext, exports: Record<string, unknown>, name: string, source: SourceConfig & { kind: 'mongodb' | 'mongodb-export' }, runId: string | undefined): Promise<DocumentLoadSummary> {
  const { loadDocuments, mongodbExportReader, mongodbReader, isDocumentMapping } = await import('@elt/documents')
  const databases = await context.databases()
  const found = exports[source.mapping] ?? Object.values(exports).find((value) => isDocumentMapping(value) && value.name === source.mapping)
  if (!isDocumentMapping(found)) {
    const known = Object.entries(exports).filter(([, value]) => isDocumentMapping(value)).map(([key]) => key)
    throw new EltError(`Source "${name}" names the document mapping "${source.mapping}", which ${context.config.models.project} does not export.`, {
      hint: known.length ? `Exported mappings: ${known.join(', ')}.` : 'Export a defineDocumentMapping(...) value under that name from the models project.',
      exitCode: ExitCode.usage,
    })
  }
  const common = { mapping: found, targetSchema: source.targetSchema, name }
  const options = {
    destination: databases.destination,
    ...(source.maxRejectedRatio !== undefined ? { maxRejectedRatio: source.maxRejectedRatio } : {}),
    runId: runId ?? randomUUID(),
    connectWaitSeconds: context.env.connectWaitSeconds,
    stallSeconds: context.env.stallSeconds,
    logger: context.logger,
    signal: context.signal,
    onBatch: (p: { source: string; documents: number; rejected: number; batches: number }) => context.logger.debug(`documents ${p.source}: ${p.documents} read, ${p.rejected} rejected (${p.batches} batches)`),
  }
  const summary =
    source.kind === 'mongodb'
      ? await loadDocuments({ ...options, source: { ...common, reader: mongodbReader, config: source, ...(source.incremental ? { incremental: source.incremental } : {}) } })
      : await loadDocuments({ ...options, source: { ...common, reader: mongodbExportReader, config: source } })
  for (const t of summary.tables) {
    context.io.stderr.write(`${name} → ${summary.targetSchema}.${t.table}  inserted ${t.inserted}  updated ${t.updated}  deleted ${t.deleted}  unchanged ${t.unchanged}\n`)
  }
  context.io.stderr.write(`${name}: ${summary.documents} documents, ${summary.loaded} loaded, ${summary.rejected} rejected${summary.rejected ? ' (_elt_audit.rejected_documents)' : ''} in ${summary.seconds.toFixed(1)} s\n`)
  return summary
}
