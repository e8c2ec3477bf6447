import { getJson, type RunSummary, type RunTimeline, type TimelineStep } from './api-client.ts'
import { h, formatSeconds, formatTime, statusChip, svg } from './dom.ts'
import { palettes } from './colours.ts'

const countText = (counts: Record<string, number>) =>
  Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ') || '–'

/** The list of runs: status, start, duration, counts. */
export async function runsPage(root: HTMLElement): Promise<void> {
  root.replaceChildren(h('div', { class: 'page' }, h('h1', {}, 'Runs'), h('p', { class: 'muted' }, 'Loading…')))
  let runs: RunSummary[]
  try {
    runs = await getJson<RunSummary[]>('/api/runs')
  } catch (error) {
    root.replaceChildren(h('div', { class: 'page' }, h('h1', {}, 'Runs'), h('p', { class: 'error' }, (error as Error).message)))
    return
  }
  root.replaceChildren(
    h(
      'div',
      { class: 'page' },
      h('h1', {}, 'Runs'),
      runs.length === 0
        ? h('p', { class: 'muted' }, 'No runs recorded yet. Start one with `pnpm elt run`.')
        : h(
            'table',
            { class: 'runs', id: 'runs-table' },
            h('thead', {}, h('tr', {}, ...['status', 'started', 'duration', 'command', 'loads', 'models', 'tests'].map((label) => h('th', {}, label)))),
            h(
              'tbody',
              {},
              ...runs.map((run) =>
                h(
                  'tr',
                  { 'data-run-id': run.id },
                  h('td', {}, statusChip(run.status)),
                  h('td', {}, h('a', { href: `/runs/${run.id}` }, formatTime(run.startedAt))),
                  h('td', { class: 'num' }, formatSeconds(run.seconds)),
                  h('td', {}, `${run.command}${run.target ? ` (${run.target})` : ''}`),
                  h('td', {}, countText(run.counts.loads)),
                  h('td', {}, countText(run.counts.models)),
                  h('td', {}, countText(run.counts.tests)),
                ),
              ),
            ),
          ),
    ),
  )
}

/** One run as a Gantt chart: a bar per table load and per model, by start time and worker, critical path outlined. */
export async function runPage(root: HTMLElement, id: string): Promise<void> {
  root.replaceChildren(h('div', { class: 'page' }, h('p', { class: 'muted' }, 'Loading…')))
  let run: RunTimeline
  try {
    run = await getJson<RunTimeline>(`/api/runs/${encodeURIComponent(id)}`)
  } catch (error) {
    root.replaceChildren(h('div', { class: 'page' }, h('p', {}, h('a', { href: '/runs' }, '← all runs')), h('p', { class: 'error' }, (error as Error).message)))
    return
  }
  root.replaceChildren(
    h(
      'div',
      { class: 'page' },
      h('p', {}, h('a', { href: '/runs' }, '← all runs')),
      h('h1', {}, `Run ${formatTime(run.startedAt)} `, statusChip(run.status)),
      h(
        'p',
        { class: 'muted' },
        `${run.command}${run.target ? ` · target ${run.target}` : ''} · ${formatSeconds(run.seconds)} · loads: ${countText(run.counts.loads)} · models: ${countText(run.counts.models)} · tests: ${countText(run.counts.tests)}`,
      ),
      run.message ? h('p', { class: 'error run-message' }, run.message) : undefined,
      h('div', { class: 'gantt-wrap', id: 'gantt' }, run.steps.length > 0 ? gantt(run) : h('p', { class: 'muted' }, 'This run recorded no loads or models.')),
      h(
        'div',
        { class: 'legend' },
        ...palettes.run.entries.slice(0, 4).map((entry) => h('span', { class: 'legend-item' }, h('i', { style: `background:${entry.colour}` }), entry.label)),
        h('span', { class: 'legend-item' }, h('i', { style: 'background:#16a34a;opacity:0.65' }), 'table load (lighter)'),
        h('span', { class: 'legend-item' }, h('i', { class: 'critical' }), 'on the critical path'),
      ),
      h(
        'div',
        { class: 'run-facts' },
        h(
          'section',
          { id: 'critical-path' },
          h('h3', {}, 'Critical path'),
          h('p', { class: 'muted' }, 'The chain of waits that decided when the run finished.'),
          h('ol', {}, ...run.criticalPath.map((name) => h('li', {}, name))),
        ),
        h(
          'section',
          { id: 'slowest' },
          h('h3', {}, 'Slowest'),
          h('table', { class: 'slowest' }, h('tbody', {}, ...run.slowest.map((step) => h('tr', {}, h('td', {}, step.name), h('td', { class: 'muted' }, step.kind), h('td', {}, statusChip(step.status)), h('td', { class: 'num' }, formatSeconds(step.seconds)))))),
        ),
      ),
    ),
  )
}

function gantt(run: RunTimeline): Element {
  const labelWidth = 80
  const width = Math.max(900, Math.min(1600, window.innerWidth - 80))
  const laneHeight = 22
  const top = 24
  const height = top + run.lanes * laneHeight + 10
  const span = Math.max(run.spanMs, 1)
  const scale = (width - labelWidth - 10) / span
  const colour = (step: TimelineStep) => palettes.run.entries.find((entry) => entry.key === step.status)?.colour ?? '#cbd5e1'
  const ticks = niceTicks(span)
  return svg(
    'svg',
    { class: 'gantt', width, height, viewBox: `0 0 ${width} ${height}` },
    ...ticks.flatMap((ms) => [
      svg('line', { x1: labelWidth + ms * scale, x2: labelWidth + ms * scale, y1: top - 4, y2: height, class: 'tick' }),
      ...(labelWidth + ms * scale + 50 < width ? [svg('text', { x: labelWidth + ms * scale + 2, y: top - 8, class: 'axis' }, formatSeconds(ms / 1000))] : []),
    ]),
    ...Array.from({ length: run.lanes }, (_, lane) => svg('text', { x: 4, y: top + lane * laneHeight + 15, class: 'axis' }, `worker ${lane + 1}`)),
    ...run.steps.map((step) => {
      const x = labelWidth + step.offsetMs * scale
      const barWidth = Math.max(1.5, step.seconds * 1000 * scale)
      const y = top + step.lane * laneHeight + 2
      const group = svg(
        'g',
        { class: `bar${step.critical ? ' critical' : ''}`, 'data-step': step.name },
        svg('rect', { x, y, width: barWidth, height: laneHeight - 4, rx: 2, fill: colour(step), 'fill-opacity': step.kind === 'load' || step.kind === 'extract' ? 0.65 : 1 }),
        svg('title', {}, `${step.kind} ${step.name}: ${step.status}, ${formatSeconds(step.seconds)}${step.rows !== undefined ? `, ${step.rows} rows` : ''}${step.message ? ` — ${step.message}` : ''}`),
      )
      if (barWidth > step.name.length * 6.5 + 6) group.appendChild(svg('text', { x: x + 4, y: y + 13, class: 'bar-label' }, step.name))
      return group
    }),
  )
}

function niceTicks(spanMs: number): number[] {
  const raw = spanMs / 8
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw
  const ticks: number[] = []
  for (let t = 0; t <= spanMs; t += step) ticks.push(t)
  return ticks
}
