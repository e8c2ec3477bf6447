import { getJson, type NodeDetail, type TestRow } from './api-client.ts'
import { append, h, formatSeconds, formatTime, statusChip, svg } from './dom.ts'
import { palettes } from './colours.ts'

/**
 * The side panel of one node: what it is, its columns (click one: its column lineage is highlighted
 * on the graph) and their tests with the last result,
 * its last build, a chart of its recent builds, where its Kysely module lives and its compiled SQL.
 */
export async function renderNodePanel(
  panel: HTMLElement,
  id: string,
  actions: { focus(id: string): void; close(): void; column(node: string, column: string): void },
  highlighted?: string,
): Promise<void> {
  panel.replaceChildren(h('p', { class: 'muted' }, 'Loading…'))
  panel.hidden = false
  let detail: NodeDetail
  try {
    detail = await getJson<NodeDetail>(`/api/nodes/${encodeURIComponent(id)}`)
  } catch (error) {
    panel.replaceChildren(h('p', { class: 'error' }, (error as Error).message))
    return
  }
  const { node, lastRun, history, tests } = detail
  const testsByColumn = new Map<string, TestRow[]>()
  for (const test of tests) {
    const key = test.column ?? ''
    testsByColumn.set(key, [...(testsByColumn.get(key) ?? []), test])
  }
  const testChips = (list: TestRow[] | undefined) =>
    (list ?? []).map((test) => h('span', { class: `chip status-${test.status}`, title: `${test.id}: ${test.status}${test.failures ? ` (${test.failures} failing)` : ''}` }, test.type))
  const link = (other: { id: string; name: string }) => h('a', { href: '#', class: 'node-link', onclick: (event: Event) => (event.preventDefault(), actions.focus(other.id)) }, other.name)

  panel.replaceChildren()
  append(
    panel,
    h('div', { class: 'panel-head' }, h('h2', { 'data-node-title': node.id }, node.name), h('button', { class: 'close', title: 'Close', onclick: () => actions.close() }, '×')),
    h(
      'p',
      { class: 'badges' },
      h('span', { class: 'chip' }, node.kind),
      node.loader && h('span', { class: 'chip', 'data-source-kind': node.loader.kind }, node.loader.kind),
      node.materialized && h('span', { class: 'chip' }, node.materialized),
      node.schema && h('span', { class: 'chip' }, node.schema),
      ...node.tags.map((tag) => h('span', { class: 'chip tag' }, `tag:${tag}`)),
    ),
    node.description ? h('p', { class: 'description' }, node.description) : h('p', { class: 'muted' }, 'No description.'),
    h(
      'dl',
      { class: 'facts' },
      ...(node.loader
        ? [h('dt', {}, 'Loaded by'), h('dd', { 'data-loader': node.loader.source }, `source "${node.loader.source}" (${node.loader.kind}) from `, h('code', {}, node.loader.from))]
        : []),
      h('dt', {}, 'Last build'),
      h('dd', {}, ...(lastRun ? [statusChip(lastRun.status), ` ${formatTime(lastRun.startedAt)} · ${formatSeconds(lastRun.seconds)}`] : ['never'])),
      h('dt', {}, 'Rows'),
      h('dd', {}, lastRun?.rows !== undefined ? lastRun.rows.toLocaleString('en') : '–'),
      h('dt', {}, 'Source file'),
      h('dd', {}, node.filePath ? h('code', {}, node.filePath) : '–'),
      h('dt', {}, 'Upstream'),
      h('dd', {}, ...joinNodes(detail.parents.map(link))),
      h('dt', {}, 'Downstream'),
      h('dd', {}, ...joinNodes(detail.children.map(link))),
    ),
    history.length > 0 ? h('section', {}, h('h3', {}, 'Recent builds'), runChart(history)) : undefined,
    h('h3', {}, `Columns (${node.columns.length})`),
    h(
      'table',
      { class: 'columns' },
      h('thead', {}, h('tr', {}, h('th', {}, 'column'), h('th', {}, 'type'), h('th', {}, 'tests'))),
      h(
        'tbody',
        {},
        ...node.columns.map((column) =>
          h(
            'tr',
            { class: column.name === highlighted ? 'column-highlighted' : undefined },
            h(
              'td',
              { title: column.description ?? '' },
              h('button', { type: 'button', class: 'column-link', 'data-column': column.name, title: 'Highlight its column lineage', onclick: () => actions.column(node.id, column.name) }, column.name),
            ),
            h('td', { class: 'muted' }, column.type ?? ''),
            h('td', {}, ...testChips(testsByColumn.get(column.name))),
          ),
        ),
      ),
    ),
    h('h3', {}, `Tests (${tests.length})`),
    tests.length === 0
      ? h('p', { class: 'muted' }, 'No tests.')
      : h(
          'ul',
          { class: 'test-list' },
          ...tests.map((test) =>
            h('li', { 'data-test-id': test.id }, statusChip(test.status), ' ', h('a', { href: `/tests?model=${encodeURIComponent(node.name)}#${encodeURIComponent(test.id)}` }, test.id), test.failures ? h('span', { class: 'muted' }, ` ${test.failures} failing`) : undefined),
          ),
        ),
    node.compiledSql ? h('details', { class: 'sql' }, h('summary', {}, 'Compiled SQL'), h('pre', {}, node.compiledSql)) : undefined,
  )
}

function joinNodes(links: HTMLElement[]): (HTMLElement | string)[] {
  if (links.length === 0) return ['–']
  return links.flatMap((link, i) => (i === 0 ? [link] : [', ', link]))
}

/** Bars of the last builds, oldest left: height = duration, colour = status. */
function runChart(history: NodeDetail['history']): Element {
  const runs = [...history].reverse()
  const width = 300
  const height = 60
  const max = Math.max(...runs.map((run) => run.seconds), 0.001)
  const bar = width / Math.max(runs.length, 10)
  const colour = (status: string) => palettes.run.entries.find((entry) => entry.key === status)?.colour ?? '#cbd5e1'
  return svg(
    'svg',
    { class: 'run-chart', width, height: height + 14, viewBox: `0 0 ${width} ${height + 14}` },
    ...runs.map((run, i) => {
      const barHeight = Math.max(2, (run.seconds / max) * height)
      return svg('rect', { x: i * bar + 1, y: height - barHeight, width: Math.max(1, bar - 2), height: barHeight, fill: colour(run.status) }, svg('title', {}, `${formatTime(run.startedAt)}: ${run.status}, ${formatSeconds(run.seconds)}`))
    }),
    svg('text', { x: 0, y: height + 12, class: 'axis' }, `max ${formatSeconds(max)}`),
  )
}
