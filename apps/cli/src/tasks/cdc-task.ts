import type { DatabaseTarget } from '@elt/core'
import { configuredSources, mapSchema, type LoadedTableSummary } from '@elt/extract-load'
import type { CdcProgress, CdcSummary } from '@elt/extract-load/cdc'
import type { CommandContext } from '../context.ts'
import { cdcTablesBySource } from './cdc-tables.ts'
import { createProgress, isLiveTerminal } from '../output/progress.ts'

/** A postgres source with `cdc` tables: one pipeline (slot and publication `elt_<source>`). */
export interface CdcPipeline {
  sourceName: string
  tables: string[]
  targetSchema: string
  database: DatabaseTarget
}

/** The pipelines with their source databases, narrowed to `only` (source names) when given. */
export async function cdcPipelines(context: CommandContext, only?: readonly string[]): Promise<CdcPipeline[]> {
  const wanted = cdcTablesBySource(context.config.sources).filter((p) => !only || only.includes(p.sourceName))
  if (wanted.length === 0) return []
  const sources = configuredSources(context.config.sources, await context.databases())
  return wanted.map((p) => {
    const source = sources.find((s) => s.name === p.sourceName)!
    return { ...p, targetSchema: source.targetSchema, database: source.database! }
  })
}

/**
 * Runs every cdc pipeline (see `replicateCdc`): a first run copies its tables with the slot's
 * snapshot; every run applies the changes up to the source's current position, or with `follow`
 * keeps streaming until the command is interrupted (reconnecting when a connection is lost),
 * showing the applied position and lag live. With `refresh` (`--full-refresh`), the selected cdc
 * tables are copied again first, alone.
 */
export async function cdcTask(
  context: CommandContext,
  options: { follow: boolean; jobs?: number; only?: readonly string[]; runId?: string; refresh?: { select: readonly string[]; exclude: readonly string[] } },
): Promise<{ pipelines: CdcSummary[]; tables: LoadedTableSummary[] }> {
  const { replicateCdc, selectedCdcTables } = await import('@elt/extract-load/cdc')
  const pipelines = await cdcPipelines(context, options.only)
  const sourceNames = Object.keys(context.config.sources)
  const databases = await context.databases()
  const progress = createProgress(context.io)
  const shown = new Map<string, number>()
  const tty = isLiveTerminal(context.io)
  const started = performance.now()
  try {
    const summaries = await Promise.all(
      pipelines.map((p) => {
        const key = `cdc:${p.sourceName}`
        if (options.follow) progress.start(key, `cdc ${p.sourceName}: following ${p.tables.join(', ')} (Ctrl-C stops after the transaction in flight)`)
        return replicateCdc({
          sourceName: p.sourceName,
          source: p.database,
          destination: databases.destination,
          tables: p.tables,
          ...(options.refresh ? { refresh: selectedCdcTables(p, sourceNames, options.refresh) } : {}),
          targetSchema: p.targetSchema,
          follow: options.follow,
          signal: context.signal,
          jobs: options.jobs ?? context.config.replicate?.jobs,
          retry: context.env.retry,
          connectWaitSeconds: context.env.connectWaitSeconds,
          stallSeconds: context.env.stallSeconds,
          logger: context.logger,
          warnRetainedWalBytes: context.config.cdc.warnRetainedWalBytes,
          ...(options.runId ? { runId: options.runId } : {}),
          onApplied: (applied: CdcProgress) => {
            // live on a terminal (every second), a plain line every 10 s in logs
            const last = shown.get(key) ?? 0
            if (Date.now() - last < (tty ? 1000 : 10_000)) return
            shown.set(key, Date.now())
            const text = `cdc ${p.sourceName}: ${applied.total.toLocaleString('en-US')} changes in ${applied.transactions.toLocaleString('en-US')} transactions applied, at ${applied.appliedLsn}, lag ${applied.lagSeconds.toFixed(1)} s`
            if (tty) progress.update(key, text)
            else if (options.follow) progress.log(text)
          },
        }).then((summary) => {
          progress.done(key, `cdc ${p.sourceName}: ${summary.copied.length > 0 ? `copied ${summary.copied.join(', ')}, then ` : ''}${summary.changes.toLocaleString('en-US')} changes in ${summary.transactions} transactions applied, at ${summary.appliedLsn}`)
          return summary
        })
      }),
    )
    return { pipelines: summaries, tables: cdcTableSummaries(pipelines, summaries, (performance.now() - started) / 1000) }
  } finally {
    progress.stop()
  }
}

/**
 * The cdc tables as rows of the replicate summary (`strategy: 'cdc'`): `rows` = rows copied by this
 * run (an initial copy, a table copied alone) plus the changes streamed in this run; `inserted`
 * counts the copied rows too.
 *
 * ```ts
 * cdcTableSummaries([summary], 'raw') // [{ source: 'public.accounts', target: 'raw.accounts', strategy: 'cdc', rows: 3, inserted: 1, updated: 2, deleted: 0, … }]
 * ```
 */
export function cdcTableSummaries(pipelines: readonly CdcPipeline[], summaries: readonly CdcSummary[], seconds: number): LoadedTableSummary[] {
  return pipelines.flatMap((p, i) => {
    const summary = summaries[i]!
    return p.tables.map((table) => {
      const copied = summary.initialCopy?.tables.find((t) => t.source === table)
      const streamed = summary.tables[table] ?? { inserted: 0, updated: 0, deleted: 0, truncated: 0 }
      const [schema, name] = table.split('.') as [string, string]
      const base = copied ?? { source: table, target: `${mapSchema(schema, p.targetSchema)}.${name}`, rows: 0, bytes: 0, seconds, sourceName: p.sourceName, kind: 'postgres' }
      return {
        ...base,
        rows: (copied?.rows ?? 0) + streamed.inserted + streamed.updated + streamed.deleted,
        strategy: 'cdc' as const,
        inserted: (copied?.rows ?? 0) + streamed.inserted,
        updated: streamed.updated,
        deleted: streamed.deleted,
      }
    })
  })
}
