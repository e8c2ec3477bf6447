import os from 'node:os'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import type pg from 'pg'
import { EltError, ExitCode, connectClient, defaultRetryPolicy, defaultStallSeconds, describeError, isGlob, silentLogger, watchedClientStep, watchedEnds, watchForStall, type DatabaseTarget, type StallWatch } from '@elt/core'
import { sourceName, type TableDef } from '../introspect/catalog.ts'
import { tableMatcher } from '../introspect/select-tables.ts'
import type { ReaderSession, TableReader } from '../sources/source-reader.ts'
import { cleanStageSource } from './clean-stage-source.ts'
import { writeJsonDurably } from './durable-files.ts'
import { pruneStageDays } from './prune-stage-days.ts'
import { publishStagedDay } from './publish-staged-day.ts'
import { runPool } from './run-pool.ts'
import { configuredSources } from '../sources/configured-sources.ts'
import type { SourceToLoad } from '../write/load-sources-options.ts'
import { requireStage, type StageDayOptions, type StageRunConfig } from './stage-config.ts'
import { lockStageSource } from './stage-lock.ts'
import type { StageManifest } from './stage-manifest.ts'
import { manifestFile, stageFolderName, stagePaths } from './stage-paths.ts'
import { parseStageSelectors, selectedSources } from './stage-selection.ts'
import { discardDeadRunExtracts, discardStageExtracts, migrateStageState, recordStageExtract } from './stage-state.ts'
import { writeStagedTable } from './write-staged-table.ts'

export interface ExtractOptions extends StageDayOptions {
  /** The source (a postgres source without `url`) and destination (run records) databases. */
  databases: { source: DatabaseTarget; destination: DatabaseTarget }
  /** The sources with their readers; default `configuredSources(config.sources, databases)`. */
  sources?: readonly SourceToLoad[]
  onEvent?: (event: ExtractEvent) => void
}

export type ExtractEvent =
  | { type: 'table-started'; source: string; table: string; worker: number }
  | { type: 'table-progress'; source: string; table: string; rows: number; bytes: number; seconds: number }
  | { type: 'table-finished'; source: string; table: string; rows: number; bytes: number; files: number; seconds: number }
  | { type: 'table-failed'; source: string; table: string; message: string }
  | { type: 'day-published'; source: string; date: string; tables: number }
  | { type: 'days-pruned'; source: string; dates: string[] }

export interface ExtractedTable {
  source: string
  /** The table's stage folder name (`public.films`, a CSV source's `table`). */
  table: string
  rows: number
  bytes: number
  files: number
  seconds: number
}

export interface ExtractSummary {
  runId: string
  status: 'success'
  date: string
  stageDir: string
  seconds: number
  tables: ExtractedTable[]
  /** Days removed by `stage.keepDays`, per source. */
  pruned: { source: string; dates: string[] }[]
}

const round3 = (n: number) => Math.round(n * 1000) / 1000

/**
 * `pnpm elt extract --date D`: writes every selected source's tables to
 * `<stage.dir>/<source>/<table>/<D>/` (data files + `_manifest.json`), up to `jobs` tables at
 * once. Each source's day becomes visible only when all its tables are written (see
 * `publishStagedDay`); a failure or a kill leaves the previous day as it was. Per-table results
 * go to `_elt.stage_extracts` in the destination; `stage.keepDays` prunes older days afterwards.
 *
 * ```ts
 * const summary = await extract({ config, databases, date: '2024-01-15', runId })
 * // summary.tables → [{ source: 'postgres', table: 'public.films', rows: 118, bytes: 9027, files: 1, seconds: 0.05 }, …]
 * ```
 */
export async function extract(options: ExtractOptions): Promise<ExtractSummary> {
  const started = performance.now()
  const stage = requireStage(options.config, 'extract')
  const configured = options.sources ?? configuredSources(options.config.sources, options.databases)
  const names = configured.map((s) => s.name)
  const selectors = parseStageSelectors(options.select ?? [], names)
  const chosen = selectedSources(selectors, names)
  const sources = configured.filter((s) => chosen.includes(s.name))
  const logger = options.logger ?? silentLogger
  const emit = (event: ExtractEvent) => options.onEvent?.(event)
  const state = await connectClient(options.databases.destination, { waitSeconds: options.connectWaitSeconds ?? 30, logger, applicationName: 'elt-extract-state' })
  const record = recordSteps(state, options.databases.destination, options.stallSeconds ?? defaultStallSeconds)
  try {
    await record('preparing the extract records', migrateStageState)
    const summary: ExtractSummary = { runId: options.runId, status: 'success', date: options.date, stageDir: stage.dir, seconds: 0, tables: [], pruned: [] }
    for (const source of sources) {
      summary.tables.push(...(await extractSource(options, { source, stage, selectors, record, emit })))
    }
    if (stage.keepDays !== undefined) {
      for (const { name } of sources) {
        const release = await lockStageSource(stage.dir, name, options.runId)
        try {
          const dates = await pruneStageDays(stage.dir, name, options.date, stage.keepDays)
          if (dates.length > 0) {
            summary.pruned.push({ source: name, dates })
            emit({ type: 'days-pruned', source: name, dates })
          }
        } finally {
          await release()
        }
      }
    }
    summary.seconds = round3((performance.now() - started) / 1000)
    return summary
  } finally {
    await state.end().catch(() => {})
  }
}

/** A statement on the extract's records connection (`_elt.stage_extracts`), watched for silence as `what`. */
type RecordStep = (what: string, step: (client: pg.ClientBase) => Promise<void>) => Promise<void>

/**
 * The records' connection is watched like the sources': gone silent, it fails the extract instead
 * of hanging it. One record at a time (the tables' workers share the connection), and once one has
 * stalled every later one fails with that error, so the extract reports the stall, not the closed
 * connection.
 */
function recordSteps(state: pg.Client, destination: DatabaseTarget, seconds: number): RecordStep {
  let queue: Promise<unknown> = Promise.resolve()
  let stalled: EltError | undefined
  const watch = { seconds, hint: 'The extract stops and publishes nothing more; run it again.' }
  return (what, step) => {
    const next = queue.then(async () => {
      if (stalled) throw stalled
      let watching: StallWatch | undefined
      const recorded = watchedClientStep(state, destination, { ...watch, what }, (w) => {
        watching = w
        return step(state)
      })
      await recorded.catch((error: unknown) => {
        stalled ??= watching?.stalled
        throw error
      })
    })
    queue = next.catch(() => {})
    return next
  }
}

interface SourceRun {
  source: SourceToLoad
  stage: NonNullable<StageRunConfig['stage']>
  selectors: ReturnType<typeof parseStageSelectors>
  record: RecordStep
  emit: (event: ExtractEvent) => void
}

/** One source's day: lock, clean what dead runs left, write every selected table, publish. */
async function extractSource(options: ExtractOptions, run: SourceRun): Promise<ExtractedTable[]> {
  const { stage } = run
  const { name, reader: sourceReader } = run.source
  const logger = options.logger ?? silentLogger
  const release = await lockStageSource(stage.dir, name, options.runId)
  const written: string[] = []
  let session: ReaderSession | undefined
  let published = false
  try {
    const removed = await cleanStageSource(stage.dir, name)
    if (removed.folders > 0) logger.info(`stage ${name}: removed ${removed.folders} folder(s) left by interrupted extracts`)
    // a killed extract's finished tables were recorded `done`: their files are gone with its unpublished day
    for (const dead of removed.runs) {
      const message = `Written, then removed with the unpublished day of ${name}: its extract ended before publishing it (killed?); run ${options.runId} removed the files.`
      await run.record(`recording the stage of ${name}`, (client) => discardDeadRunExtracts(client, dead, name, message))
    }
    session = await sourceReader.open(run.source.config as never, {
      sourceName: name,
      targetSchema: run.source.targetSchema,
      ...(run.source.database ? { database: run.source.database } : {}),
      connectWaitSeconds: options.connectWaitSeconds ?? 30,
      retry: options.retry ?? defaultRetryPolicy,
      logger,
      signal: options.signal,
    })
    // the reader applies the selection (a foreign key to a table left out is left out too)
    const own = run.selectors.filter((sel) => sel.source(name))
    const include = own.some((sel) => sel.pattern === undefined) ? [] : own.map((sel) => sel.pattern!)
    const plan = await session.discover(include.length > 0 ? { include } : undefined)
    const folderOf = (t: TableDef) => stageFolderName(sourceReader.kind === 'postgres' ? sourceName(t) : t.name)
    const tables = plan.tables
    const unmatched = own.filter((sel) => sel.pattern !== undefined && !isGlob(sel.pattern) && !tables.some((t) => tableMatcher(sel.pattern!)(t.schema, t.name)))
    if (unmatched.length > 0) {
      throw new EltError(`--select ${unmatched.map((sel) => sel.text).join(', ')}: source "${name}" has no such table.`, {
        hint: `Name it <table> or <schema>.<table>; pnpm elt ls lists the sources' tables.`,
        exitCode: ExitCode.usage,
      })
    }
    const s = session
    const results = new Map<string, ExtractedTable>()
    const jobs = Math.max(1, options.jobs ?? options.config.replicate?.jobs ?? os.availableParallelism())
    await runPool(
      tables,
      jobs,
      () => s.worker(),
      (reader) => reader.close(),
      async (reader: TableReader, table, worker) => {
        const folder = folderOf(table)
        const dir = stagePaths.runFolder(stage.dir, name, folder, options.date, options.runId)
        written.push(dir)
        const t0 = performance.now()
        const label = `${name}: ${folder}`
        run.emit({ type: 'table-started', source: name, table: folder, worker })
        await run.record(`recording the extract of ${label}`, (client) => recordStageExtract(client, { runId: options.runId, source: name, table: folder, date: options.date, status: 'running' }))
        // a source connection that stops passing data without closing fails the table instead of hanging it (files never stall)
        const watch = watchForStall({
          what: `extracting ${label}`,
          ends: watchedEnds({ source: [reader.backend?.()] }),
          seconds: options.stallSeconds ?? defaultStallSeconds,
          onStall: () => void reader.close().catch(() => {}),
        })
        try {
          // a CSV reader may ask for another attempt (a late value an inferred date column would lose widens
          // it): the files are written again, and the manifest records the widened type
          let staged = table
          let files: Awaited<ReturnType<typeof writeStagedTable>>
          for (;;) {
            try {
              files = await writeStagedTable({
                dir,
                label,
                table: staged,
                reader,
                compression: stage.compression,
                signal: options.signal,
                onProgress: (rows, bytes) => run.emit({ type: 'table-progress', source: name, table: folder, rows, bytes, seconds: (performance.now() - t0) / 1000 }),
              })
              break
            } catch (error) {
              const explained = options.signal?.aborted ? undefined : await reader.explain?.(staged, error)
              if (!explained?.retryWith) throw error
              logger.info(`${label}: ${explained.change ?? 'another attempt'}; extracting again`)
              await rm(dir, { recursive: true, force: true })
              staged = explained.retryWith
            }
          }
          await reader.done(table)
          const manifest: StageManifest = {
            version: 1,
            source: name,
            sourceKind: sourceReader.kind,
            folder,
            date: options.date,
            runId: options.runId,
            snapshotAt: s.snapshotAt.toISOString(),
            extractedAt: new Date().toISOString(),
            sourceDescription: s.description,
            compression: stage.compression,
            table: staged,
            types: plan.types,
            rows: files.reduce((n, f) => n + f.rows, 0),
            bytes: files.reduce((n, f) => n + f.bytes, 0),
            files,
            ...(sourceReader.kind === 'csv' ? { csv: csvDeclarations(run.source.config) } : {}),
          }
          await writeJsonDurably(path.join(dir, manifestFile), manifest)
          const result = { source: name, table: folder, rows: manifest.rows, bytes: manifest.bytes, files: files.length, seconds: round3((performance.now() - t0) / 1000) }
          results.set(folder, result)
          await run.record(`recording the extract of ${label}`, (client) =>
            recordStageExtract(client, { ...result, runId: options.runId, date: options.date, status: 'done', folder: path.relative(stage.dir, dir) }),
          )
          run.emit({ type: 'table-finished', ...result })
        } catch (thrown) {
          await reader.done(table).catch(() => {})
          const error = watch.stalled ?? thrown
          const final = options.signal?.aborted ? options.signal.reason : error
          run.emit({ type: 'table-failed', source: name, table: folder, message: describeError(final) })
          await run
            .record(`recording the extract of ${label}`, (client) => recordStageExtract(client, { runId: options.runId, source: name, table: folder, date: options.date, status: 'error', message: describeError(final) }))
            .catch(() => {})
          throw final
        } finally {
          watch.stop()
        }
      },
      options.signal,
    )
    const { sequences } = await s.finish()
    await publishStagedDay(stage.dir, {
      version: 1,
      source: name,
      sourceKind: sourceReader.kind,
      date: options.date,
      runId: options.runId,
      snapshotAt: s.snapshotAt.toISOString(),
      finishedAt: new Date().toISOString(),
      tables: tables.map(folderOf),
      sequences: plan.sequences,
      sequenceValues: Object.fromEntries(sequences),
    })
    published = true
    run.emit({ type: 'day-published', source: name, date: options.date, tables: tables.length })
    return tables.map((t) => results.get(folderOf(t))!).filter((r) => r !== undefined)
  } catch (error) {
    // the tables already written are not published with the day: their records say so, not `done`
    const message = `Written, then removed with the unpublished day of ${name}: ${describeError(error)}`
    await run.record(`recording the stage of ${name}`, (client) => discardStageExtracts(client, options.runId, name, message)).catch(() => {})
    throw error
  } finally {
    await session?.close().catch(() => {})
    // a failed extract's folders are never published: remove them now (the next extract would)
    if (!published) for (const dir of written) await rm(dir, { recursive: true, force: true }).catch(() => {})
    await release()
  }
}

/** What a CSV source's config declares (see `StageManifest.csv`). */
function csvDeclarations(config: unknown): NonNullable<StageManifest['csv']> {
  const c = (config ?? {}) as { columns?: Record<string, string>; encoding?: string; onError?: 'fail' | 'quarantine' }
  return { declaredColumns: Object.keys(c.columns ?? {}), declaredEncoding: c.encoding !== undefined, onError: c.onError ?? 'fail' }
}
