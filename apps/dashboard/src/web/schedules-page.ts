import type { ScheduleStatus } from '../data/schedule-status.ts'
import { ApiError, getJson } from './api-client.ts'
import { formatTime, h, statusChip } from './dom.ts'

/** A run of the service's queue, as its server-sent events carry it. */
interface LiveRun {
  runId: string
  command: string
  startedBy: string
  status: string
  lastLine?: string
}

let events: EventSource | undefined

/**
 * `/schedules`: the service's schedules (last status, next due time) and the running run's live
 * progress, pushed by `GET /api/events` (one server-sent-event stream, no polling). Under
 * `pnpm dashboard` alone (no scheduler), says how to start the service.
 */
export async function schedulesPage(root: HTMLElement): Promise<void> {
  events?.close()
  root.replaceChildren(h('div', { class: 'page' }, h('h1', {}, 'Schedules'), h('p', { class: 'muted' }, 'Loading…')))
  let schedules: ScheduleStatus[]
  try {
    schedules = await getJson<ScheduleStatus[]>('/api/schedules')
  } catch (error) {
    const text = error instanceof ApiError && error.status === 404 ? 'Schedules run under `pnpm elt serve` (this dashboard was started alone).' : (error as Error).message
    root.replaceChildren(h('div', { class: 'page' }, h('h1', {}, 'Schedules'), h('p', { class: 'muted' }, text)))
    return
  }
  const live = h('div', { id: 'live-run' }, h('p', { class: 'muted' }, 'No run in progress.'))
  const lines = h('pre', { id: 'live-lines', class: 'log' })
  root.replaceChildren(
    h(
      'div',
      { class: 'page' },
      h('h1', {}, 'Schedules'),
      schedules.length === 0
        ? h('p', { class: 'muted' }, 'No schedules in the config.')
        : h(
            'table',
            { class: 'runs', id: 'schedules-table' },
            h('thead', {}, h('tr', {}, ...['schedule', 'cron', 'command', 'last', 'last due', 'next due'].map((label) => h('th', {}, label)))),
            h(
              'tbody',
              {},
              ...schedules.map((s) =>
                h(
                  'tr',
                  { 'data-schedule': s.name },
                  h('td', {}, s.name),
                  h('td', {}, `${s.cron} (${s.timezone})`),
                  h('td', {}, `${s.command}${s.select ? ` --select ${s.select}` : ''}`),
                  h('td', {}, s.busy ? statusChip('running') : statusChip(s.lastStatus ?? undefined), ' ', s.lastRunId ? h('a', { href: `/runs/${s.lastRunId}` }, 'run') : ''),
                  h('td', {}, formatTime(s.lastDueAt ?? undefined)),
                  h('td', {}, formatTime(s.nextRunAt ?? undefined)),
                ),
              ),
            ),
          ),
      h('h2', {}, 'Live'),
      live,
      lines,
    ),
  )
  const show = (run: LiveRun | undefined) =>
    live.replaceChildren(
      run
        ? h('p', {}, statusChip(run.status), ' ', h('a', { href: `/runs/${run.runId}` }, run.runId), ` ${run.command} (${run.startedBy})`)
        : h('p', { class: 'muted' }, 'No run in progress.'),
    )
  const shown: string[] = []
  events = new EventSource('/api/events')
  events.addEventListener('snapshot', (event) => show((JSON.parse((event as MessageEvent<string>).data) as LiveRun[]).find((r) => r.status === 'running')))
  events.addEventListener('started', (event) => {
    shown.length = 0
    lines.textContent = ''
    show(JSON.parse((event as MessageEvent<string>).data) as LiveRun)
  })
  events.addEventListener('finished', (event) => show({ ...(JSON.parse((event as MessageEvent<string>).data) as LiveRun) }))
  events.addEventListener('progress', (event) => {
    shown.push((JSON.parse((event as MessageEvent<string>).data) as { line: string }).line)
    if (shown.length > 30) shown.shift()
    lines.textContent = shown.join('\n')
  })
}

/** Closes the event stream when another page is shown. */
export function leaveSchedulesPage(): void {
  events?.close()
  events = undefined
}
