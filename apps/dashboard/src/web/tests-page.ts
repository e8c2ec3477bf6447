import { getJson, type TestDetail, type TestList, type TestRow } from './api-client.ts'
import { h, formatTime, statusChip } from './dom.ts'
import { testStatusColour } from './colours.ts'

const filterNames = ['status', 'model', 'column', 'type', 'tag'] as const
type FilterName = (typeof filterNames)[number]

/** Every test, failures first, with totals and filters (kept in the URL); a row expands to its failing sample, SQL and history. */
export async function testsPage(root: HTMLElement): Promise<void> {
  const params = new URLSearchParams(location.search)
  const filters = Object.fromEntries(filterNames.map((name) => [name, params.get(name) ?? ''])) as Record<FilterName, string>
  const body = h('tbody', {})
  const totals = h('div', { class: 'totals', id: 'test-totals' })
  const count = h('span', { class: 'muted' })
  root.replaceChildren(h('div', { class: 'page' }, h('h1', {}, 'Tests'), totals, h('p', { class: 'muted' }, 'Loading…')))

  let list: TestList
  try {
    list = await getJson<TestList>('/api/tests')
  } catch (error) {
    root.replaceChildren(h('div', { class: 'page' }, h('h1', {}, 'Tests'), h('p', { class: 'error' }, (error as Error).message)))
    return
  }
  const distinct = (pick: (row: TestRow) => (string | undefined)[]) => [...new Set(list.tests.flatMap(pick).filter((v): v is string => !!v))].sort()
  const options: Record<FilterName, string[]> = {
    status: ['error', 'fail', 'warn', 'pass', 'none'],
    model: distinct((row) => [row.model]),
    column: distinct((row) => [row.column]),
    type: distinct((row) => [row.type]),
    tag: distinct((row) => row.tags),
  }
  // Short lists as selects; long ones (models, columns of a big project) as a text box with suggestions.
  const controls = filterNames.map((name) => {
    if (options[name].length > 30) {
      const input = h('input', { id: `filter-${name}`, 'aria-label': name, placeholder: `any ${name}`, list: `filter-${name}-list`, value: filters[name] })
      const suggestions = h('datalist', { id: `filter-${name}-list` }, ...options[name].map((value) => h('option', { value })))
      input.addEventListener('change', () => {
        filters[name] = input.value.trim()
        render()
      })
      return h('span', {}, input, suggestions)
    }
    const select = h('select', { id: `filter-${name}`, 'aria-label': name }, h('option', { value: '' }, `any ${name}`), ...options[name].map((value) => h('option', { value, selected: value === filters[name] }, value)))
    select.addEventListener('change', () => {
      filters[name] = select.value
      render()
    })
    return select
  })
  totals.replaceChildren(
    ...(['error', 'fail', 'warn', 'pass', 'none'] as const).map((status) => h('span', { class: `total status-${status}`, 'data-status': status }, h('strong', {}, String(list.totals[status])), ` ${status === 'none' ? 'not run' : status}`)),
  )
  root.replaceChildren(
    h(
      'div',
      { class: 'page' },
      h('h1', {}, 'Tests'),
      totals,
      h('div', { class: 'filters' }, ...controls, count),
      h(
        'table',
        { class: 'tests', id: 'tests-table' },
        h('thead', {}, h('tr', {}, ...['status', 'test', 'model', 'column', 'type', 'severity', 'failures', 'fail rate', 'last run'].map((label) => h('th', {}, label)))),
        body,
      ),
    ),
  )

  const pageSize = 200
  let showAll = false
  render()

  function render(): void {
    const query = new URLSearchParams()
    for (const name of filterNames) if (filters[name]) query.set(name, filters[name])
    history.replaceState(null, '', query.size > 0 ? `/tests?${query}` : '/tests')
    const rows = list.tests.filter(
      (row) =>
        (!filters.status || row.status === filters.status) &&
        (!filters.model || row.model === filters.model) &&
        (!filters.column || row.column === filters.column) &&
        (!filters.type || row.type === filters.type) &&
        (!filters.tag || row.tags.includes(filters.tag)),
    )
    count.textContent = `${rows.length} of ${list.tests.length} tests`
    const wanted = decodeURIComponent(location.hash.slice(1))
    // Failures come first, so the first rows are the ones that matter; the rest on request.
    const limit = showAll || rows.slice(pageSize).some((row) => row.id === wanted) ? rows.length : pageSize
    body.replaceChildren(...rows.slice(0, limit).map(testRow))
    if (rows.length > limit)
      body.appendChild(
        h('tr', { class: 'more' }, h('td', { colspan: 9 }, h('button', { type: 'button', id: 'show-all-tests', onclick: () => ((showAll = true), render()) }, `Show all ${rows.length.toLocaleString('en')} tests`))),
      )
    const target = wanted ? body.querySelector<HTMLTableRowElement>(`tr[data-test-id="${CSS.escape(wanted)}"]`) : null
    if (target) {
      target.click()
      target.scrollIntoView({ block: 'center' })
    }
  }

  function testRow(row: TestRow): HTMLTableRowElement {
    const tr = h(
      'tr',
      { class: `test-row status-row-${row.status}`, 'data-test-id': row.id, tabindex: 0 },
      h('td', {}, statusChip(row.status === 'none' ? undefined : row.status)),
      h('td', { class: 'mono', title: row.id }, row.id),
      h('td', {}, h('a', { href: `/?select=${encodeURIComponent(`1+${row.nodeId.startsWith('model.') ? row.model : row.nodeId}+1`)}&node=${encodeURIComponent(row.nodeId)}` }, row.model)),
      h('td', {}, row.column ?? ''),
      h('td', {}, row.type),
      h('td', {}, row.severity),
      h('td', { class: 'num' }, row.status === 'none' ? '–' : row.failures.toLocaleString('en')),
      h('td', { class: 'num' }, row.history.length ? `${Math.round(row.failRate * 100)} %` : '–'),
      h('td', {}, formatTime(row.lastAt)),
    )
    let expanded: HTMLTableRowElement | undefined
    const toggle = () => {
      if (expanded) {
        expanded.remove()
        expanded = undefined
        return
      }
      const cell = h('td', { colspan: 9 }, h('p', { class: 'muted' }, 'Loading…'))
      expanded = h('tr', { class: 'test-detail', 'data-detail-for': row.id }, cell)
      tr.after(expanded)
      void getJson<TestDetail>(`/api/tests/${encodeURIComponent(row.id)}`).then(
        (detail) => cell.replaceChildren(testDetail(detail)),
        (error: Error) => cell.replaceChildren(h('p', { class: 'error' }, error.message)),
      )
    }
    tr.addEventListener('click', (event) => {
      if ((event.target as HTMLElement).closest('a')) return
      toggle()
    })
    tr.addEventListener('keydown', (event) => event.key === 'Enter' && toggle())
    return tr
  }
}

function testDetail(detail: TestDetail): HTMLElement {
  const { test, failure } = detail
  const sample = failure?.sample ?? []
  const columns = failure?.sampleColumns.length ? failure.sampleColumns : Object.keys(sample[0] ?? {})
  const cellText = (value: unknown) => (value === null || value === undefined ? 'NULL' : typeof value === 'object' ? JSON.stringify(value) : String(value))
  return h(
    'div',
    { class: 'detail' },
    h('p', {}, h('strong', {}, `${test.failures.toLocaleString('en')} failing ${test.failures === 1 ? 'row' : 'rows'}`), ` in the last run · fail rate ${Math.round(test.failRate * 100)} % over ${test.history.length} runs`, test.message ? h('span', { class: 'error' }, ` · ${test.message}`) : undefined),
    h(
      'div',
      { class: 'history', title: 'Oldest left, newest right' },
      ...[...test.history].reverse().map((entry) => h('a', { class: 'history-cell', href: `/runs/${entry.runId}`, style: `background:${testStatusColour(entry.status)}`, title: `${formatTime(entry.at)}: ${entry.status}, ${entry.failures} failing` })),
    ),
    sample.length > 0
      ? h(
          'div',
          { class: 'sample-wrap' },
          h('h4', {}, `Sample of failing rows (${sample.length}${failure && failure.failures > sample.length ? ` of ${failure.failures.toLocaleString('en')}` : ''})`),
          h('table', { class: 'sample' }, h('thead', {}, h('tr', {}, ...columns.map((column) => h('th', {}, column)))), h('tbody', {}, ...sample.map((row) => h('tr', {}, ...columns.map((column) => h('td', {}, cellText(row[column]))))))),
        )
      : h('p', { class: 'muted' }, test.status === 'pass' ? 'Passing: no failing rows.' : 'No sample of failing rows was recorded.'),
    detail.sql ? h('div', {}, h('h4', {}, 'SQL returning every failing row'), h('pre', { class: 'sql' }, detail.sql)) : undefined,
  )
}
