import type { ReplicationEvent, ReplicationSummary } from '@elt/extract-load'
import { formatBytes, formatCount, formatRate, formatSeconds, renderTable } from './format.ts'

/** The summary table printed after `replicate`: one line per table, then the totals. */
export function renderReplicationSummary(summary: ReplicationSummary): string {
  const rows = summary.tables.map((t) => [
    t.source,
    t.target,
    formatCount(t.rows),
    formatBytes(t.bytes),
    t.resumed ? 'resumed' : formatSeconds(t.seconds),
  ])
  const totalRows = summary.tables.reduce((n, t) => n + t.rows, 0)
  const totalBytes = summary.tables.reduce((n, t) => n + t.bytes, 0)
  const resumed = summary.tables.filter((t) => t.resumed) // all from the one interrupted run a run takes over
  const from = resumed[0]
  return [
    renderTable([['source', 'target', 'rows', 'bytes', 'time'], ...rows]),
    ...(from?.resumedFrom === undefined
      ? []
      : [`resumed: ${resumed.map((t) => t.source).join(', ')} copied by interrupted run ${from.resumedFrom}${snapshotOf(from.snapshotAt)}, not copied again`]),
    '',
    `${summary.tables.length} table(s), ${formatCount(totalRows)} rows, ${formatBytes(totalBytes)} in ${formatSeconds(summary.seconds)} — ${summary.status}`,
  ].join('\n')
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
  }
}

/** ` as of its snapshot of 2026-12-01 14:02:03 UTC`, or nothing when the time is unknown. */
function snapshotOf(at: string | null | undefined): string {
  return at ? ` as of its snapshot of ${at.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')} UTC` : ''
}
