import type { LoadedTableSummary, ReplicationEvent, ReplicationSummary } from '@elt/extract-load'
import { formatBytes, formatCount, formatRate, formatSeconds, renderTable } from './format.ts'
import type { Progress } from './progress.ts'

/** A replication's summary; a run of several sources (`loadSources`) names each table's source, kind and rejected rows. */
type SummaryToRender = Omit<ReplicationSummary, 'tables'> & {
  tables: (ReplicationSummary['tables'][number] & Partial<Pick<LoadedTableSummary, 'sourceName' | 'kind' | 'rejected' | 'strategy' | 'inserted' | 'updated' | 'deleted'>>)[]
}

/**
 * The summary table printed after `replicate`: one line per table (with a `from` column naming
 * the configured source when there is more than the one PostgreSQL source, and `rejected` when a
 * CSV source quarantines rows, and the `strategy` with rows `inserted`/`updated`/`deleted` when a
 * table is not copied whole: `rows` is what was read from the source), then the totals and the rows kept out.
 */
export function renderReplicationSummary(summary: SummaryToRender): string {
  const names = new Set(summary.tables.map((t) => t.sourceName))
  const showFrom = names.size > 1 || summary.tables.some((t) => t.kind !== undefined && t.kind !== 'postgres')
  const showRejected = summary.tables.some((t) => t.rejected !== undefined)
  const showStrategy = summary.tables.some((t) => t.strategy !== undefined && t.strategy !== 'full')
  const count = (n: number | undefined) => (n === undefined ? '' : formatCount(n))
  const rows = summary.tables.map((t) => [
    ...(showFrom ? [t.sourceName === t.kind || t.kind === undefined ? (t.sourceName ?? '') : `${t.sourceName ?? ''} (${t.kind})`] : []),
    t.source,
    t.target,
    ...(showStrategy ? [t.strategy ?? 'full'] : []),
    formatCount(t.rows),
    ...(showStrategy ? [count(t.inserted), count(t.updated), count(t.deleted)] : []),
    ...(showRejected ? [t.rejected === undefined ? '' : formatCount(t.rejected)] : []),
    formatBytes(t.bytes),
    t.resumed ? 'resumed' : formatSeconds(t.seconds),
  ])
  const rejected = summary.tables.filter((t) => (t.rejected ?? 0) > 0)
  const totalRejected = rejected.reduce((n, t) => n + (t.rejected ?? 0), 0)
  const totalRows = summary.tables.reduce((n, t) => n + t.rows, 0)
  const totalBytes = summary.tables.reduce((n, t) => n + t.bytes, 0)
  const resumed = summary.tables.filter((t) => t.resumed) // all from the one interrupted run a run takes over
  const from = resumed[0]
  return [
    renderTable([[...(showFrom ? ['from'] : []), 'source', 'target', ...(showStrategy ? ['strategy'] : []), 'rows', ...(showStrategy ? ['inserted', 'updated', 'deleted'] : []), ...(showRejected ? ['rejected'] : []), 'bytes', 'time'], ...rows]),
    ...(from?.resumedFrom === undefined
      ? []
      : [`resumed: ${resumed.map((t) => t.source).join(', ')} copied by interrupted run ${from.resumedFrom}${snapshotOf(from.snapshotAt)}, not copied again`]),
    ...(totalRejected === 0
      ? []
      : [`rejected: ${formatCount(totalRejected)} row(s) of ${rejected.map((t) => t.target).join(', ')} kept out (file, line, text and reason in _elt_audit.rejected_rows, run_id '${summary.runId}')`]),
    '',
    `${summary.tables.length} table(s), ${formatCount(totalRows)} rows${showRejected ? ` (${formatCount(totalRejected)} rejected)` : ''}, ${formatBytes(totalBytes)} in ${formatSeconds(summary.seconds)} — ${summary.status}`,
  ].join('\n')
}

/**
 * Shows a replication event's table on the progress display (`replicate`, `load`): a live line
 * per table from start to finish, a retry as a line of its own; events without a table are ignored.
 *
 * ```ts
 * onEvent: (event) => showTableEvent(progress, event) // public.films → raw.films  12,000 rows  1.2 MB  3.4 MB/s
 * ```
 */
export function showTableEvent(progress: Progress, event: ReplicationEvent): void {
  if (!('source' in event)) return
  const text = renderTableEvent(event)
  if (event.type === 'table-started') progress.start(event.source, text)
  else if (event.type === 'table-progress') progress.update(event.source, text)
  else if (event.type === 'table-retried') progress.log(text)
  else progress.done(event.source, text)
}

/** One progress line for a table event: `public.films → raw.films  12,000 rows  1.2 MB  3.4 MB/s`. */
export function renderTableEvent(event: Extract<ReplicationEvent, { source: string }>): string {
  const arrow = `${event.source} → ${event.target}`
  switch (event.type) {
    case 'table-started':
      return `${arrow}  started (${event.format}${event.attempt > 1 ? `, attempt ${event.attempt}` : ''})`
    case 'table-progress':
      return [arrow, `${formatCount(event.rows)} rows`, formatBytes(event.bytes), formatRate(event.bytes, event.seconds)].filter(Boolean).join('  ')
    case 'table-finished':
      return [arrow, `${formatCount(event.rows)} rows`, formatBytes(event.bytes), formatSeconds(event.seconds), formatRate(event.bytes, event.seconds)].filter(Boolean).join('  ')
    case 'table-resumed':
      return `${arrow}  already copied by interrupted run ${event.fromRunId}${snapshotOf(event.snapshotAt)} (${formatCount(event.rows)} rows), skipped`
    case 'table-retried':
      return `${arrow}  attempt ${event.attempt} failed (${event.reason}); retrying in ${event.delaySeconds.toFixed(1)} s`
    case 'table-failed':
      return `${arrow}  failed: ${event.reason}`
  }
}

/** ` as of its snapshot of 2026-12-01 14:02:03 UTC`, or nothing when the time is unknown. */
function snapshotOf(at: string | null | undefined): string {
  return at ? ` as of its snapshot of ${at.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')} UTC` : ''
}
