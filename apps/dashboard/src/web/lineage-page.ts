import { getJson, type ColumnLineage, type LineageNode, type LineageView } from './api-client.ts'
import { legend, palettes, type ColourMode } from './colours.ts'
import { h } from './dom.ts'
import { searchIndex, type SearchHit } from './fuzzy-search.ts'
import { GraphCanvas } from './graph-canvas.ts'
import { renderNodePanel } from './node-panel.ts'
import { metrics } from './metrics.ts'

type ManifestNode = Omit<LineageNode, 'compiledSql'>

interface LineageState {
  select: string
  exclude: string
  colour: ColourMode
  /** The node whose panel is open and whose neighbourhood the depth controls widen. */
  node?: string
  /** The column whose lineage is highlighted (`<node id>` + column). */
  column?: { node: string; column: string }
  up: number
  down: number
}

/**
 * The lineage page: search, selector (kept in the URL), depth controls, colouring with a legend,
 * the canvas and the side panel.
 */
export async function lineagePage(root: HTMLElement): Promise<void> {
  const params = new URLSearchParams(location.search)
  const colour = params.get('color')
  const state: LineageState = {
    select: params.get('select') ?? '',
    exclude: params.get('exclude') ?? '',
    colour: colour === 'run' || colour === 'test' ? colour : 'kind',
    node: params.get('node') ?? undefined,
    column: params.get('node') && params.get('column') ? { node: params.get('node')!, column: params.get('column')! } : undefined,
    up: 1,
    down: 1,
  }
  const depth = /^(\d+)\+(.+?)\+(\d+)$/.exec(state.select)
  if (depth) {
    state.up = Number(depth[1])
    state.down = Number(depth[3])
  }

  const searchInput = h('input', { type: 'search', id: 'search', placeholder: 'Search name, tag or column', autocomplete: 'off', 'aria-label': 'Search' })
  const results = h('ul', { class: 'search-results', id: 'search-results', hidden: true })
  const selectInput = h('input', { name: 'select', id: 'select', placeholder: 'select, e.g. 2+film_ratings+1  tag:staging', value: state.select, 'aria-label': 'Selector' })
  const excludeInput = h('input', { name: 'exclude', id: 'exclude', placeholder: 'exclude', value: state.exclude, 'aria-label': 'Exclude' })
  const upLabel = h('span', { id: 'depth-up' }, String(state.up))
  const downLabel = h('span', { id: 'depth-down' }, String(state.down))
  const colourSelect = h('select', { id: 'colour-mode', 'aria-label': 'Colour by' }, ...(Object.keys(palettes) as ColourMode[]).map((mode) => h('option', { value: mode, selected: mode === state.colour }, `Colour: ${palettes[mode].label}`)))
  const status = h('div', { class: 'status-line', id: 'lineage-status' })
  const columnStatus = h('div', { class: 'status-line column-status', id: 'column-status', hidden: true })
  const legendHost = h('div', { class: 'legend-host' }, legend(state.colour))
  const canvasHost = h('div', { class: 'canvas-host' })
  const panel = h('aside', { class: 'panel', id: 'node-panel', hidden: true })
  const depthButton = (label: string, id: string, change: () => void) => h('button', { type: 'button', id, title: label, onclick: change }, label.startsWith('more') ? '+' : '−')

  root.replaceChildren(
    h(
      'div',
      { class: 'lineage' },
      h(
        'div',
        { class: 'toolbar' },
        h('div', { class: 'search' }, searchInput, results),
        h('form', { class: 'selector', id: 'selector-form', onsubmit: (event: Event) => (event.preventDefault(), applySelector()) }, selectInput, excludeInput, h('button', { type: 'submit' }, 'Apply')),
        h(
          'div',
          { class: 'depth', title: 'Levels shown around the open node' },
          'up',
          depthButton('less upstream', 'depth-up-less', () => widen(-1, 0)),
          upLabel,
          depthButton('more upstream', 'depth-up-more', () => widen(1, 0)),
          'down',
          depthButton('less downstream', 'depth-down-less', () => widen(0, -1)),
          downLabel,
          depthButton('more downstream', 'depth-down-more', () => widen(0, 1)),
        ),
        colourSelect,
        h('button', { type: 'button', id: 'fit', onclick: () => canvas.fit() }, 'Fit'),
        h('button', { type: 'button', id: 'show-all', onclick: () => showAll() }, 'All nodes'),
      ),
      status,
      columnStatus,
      h('div', { class: 'graph-area' }, canvasHost, panel),
      legendHost,
    ),
  )

  const manifest = await getJson<{ nodes: ManifestNode[] }>('/api/manifest').catch((error: Error) => {
    status.textContent = error.message
    status.className = 'status-line error'
    return undefined
  })
  if (!manifest) return
  const byId = new Map(manifest.nodes.map((node) => [node.id, node]))
  const nameCount = new Map<string, number>()
  for (const node of manifest.nodes) nameCount.set(node.name, (nameCount.get(node.name) ?? 0) + 1)
  /** The shortest selector term naming exactly this node. */
  const term = (node: ManifestNode) => (nameCount.get(node.name) === 1 ? node.name : node.schema && node.kind !== 'model' ? `${node.schema}.${node.name}` : node.id)
  const search = searchIndex(manifest.nodes)
  let interactionStart = 0
  const canvas = new GraphCanvas(canvasHost, (node) => focus(node.id))
  canvas.setColumnOrder((node, column) => byId.get(node)?.columns.findIndex((c) => c.name === column) ?? 0)

  /** `push`: a new selection, so Back returns to the previous one; otherwise the entry is updated in place. */
  function writeUrl(push = false): void {
    const query = new URLSearchParams()
    if (state.select) query.set('select', state.select)
    if (state.exclude) query.set('exclude', state.exclude)
    if (state.colour !== 'kind') query.set('color', state.colour)
    if (state.node) query.set('node', state.node)
    if (state.column && state.column.node === state.node) query.set('column', state.column.column)
    const target = query.size > 0 ? `/?${query}` : '/'
    if (push && target !== location.pathname + location.search) history.pushState(null, '', target)
    else history.replaceState(null, '', target)
  }

  async function load(push = true): Promise<void> {
    writeUrl(push)
    const started = interactionStart || performance.now()
    interactionStart = 0
    status.textContent = 'Loading…'
    status.className = 'status-line'
    let view: LineageView
    try {
      view = await getJson<LineageView>('/api/lineage', { select: state.select, exclude: state.exclude })
    } catch (error) {
      status.textContent = (error as Error).message
      status.className = 'status-line error'
      canvas.thaw()
      metrics.renders++
      document.body.dataset.lineageRenders = String(metrics.renders)
      return
    }
    const fetched = performance.now()
    canvas.setView(view, state.node, () => {
      metrics.lastRender = { nodes: view.nodes.length, edges: view.edges.length, fetchMs: fetched - started, totalMs: performance.now() - started }
      metrics.renders++
      document.body.dataset.lineageRenders = String(metrics.renders)
    })
    const shown = view.nodes.length === view.total ? `all ${view.total} nodes` : `${view.nodes.length} of ${view.total} nodes`
    status.textContent = `${shown}, ${view.edges.length} edges${state.select ? ` · select: ${state.select}` : ''}${state.exclude ? ` · exclude: ${state.exclude}` : ''}`
    if (state.column) void highlightColumn(state.column.node, state.column.column)
  }

  /**
   * Highlights a column's lineage (both ways, every hop) on the graph: the API gives its columns and
   * edges, the canvas draws them inside the nodes on the path. Timed from the click to the frame.
   */
  async function highlightColumn(node: string, column: string, started = performance.now()): Promise<void> {
    state.column = { node, column }
    writeUrl()
    let path: ColumnLineage
    try {
      path = await getJson<ColumnLineage>(`/api/columns/${encodeURIComponent(node)}/${encodeURIComponent(column)}/lineage`, { direction: 'both' })
    } catch (error) {
      status.textContent = (error as Error).message
      status.className = 'status-line error'
      return
    }
    if (state.column?.node !== node || state.column.column !== column) return
    const fetched = performance.now()
    const inView = canvas.setColumnPath(path, () => {
      metrics.lastColumnHighlight = { node, column, columns: path.columns.length, edges: path.edges.length, fetchMs: fetched - started, totalMs: performance.now() - started }
      metrics.columnHighlights++
      document.body.dataset.columnHighlights = String(metrics.columnHighlights)
    })
    const onPath = new Set(path.columns.map((c) => c.node))
    const missing = [...onPath].filter((id) => !inView.has(id))
    columnStatus.replaceChildren(
      `column ${byId.get(node)?.name ?? node}.${column}: ${path.columns.length} columns on ${onPath.size} nodes`,
      missing.length ? ` (${missing.length} not in this view) ` : ' ',
      missing.length ? h('button', { type: 'button', id: 'show-column-path', onclick: () => showPath(onPath) }, 'Show the whole path') : '',
      h('button', { type: 'button', id: 'clear-column', onclick: () => clearColumn() }, 'Clear'),
      h('span', { class: 'legend-line direct' }, 'direct'),
      h('span', { class: 'legend-line derived' }, 'derived'),
      h('span', { class: 'legend-line filter' }, 'filter'),
    )
    columnStatus.hidden = false
    if (state.node === node) void renderNodePanel(panel, node, panelActions, column)
  }

  function showPath(nodes: Set<string>): void {
    interactionStart = performance.now()
    state.select = [...nodes].map((id) => term(byId.get(id)!)).join(' ')
    syncInputs()
    void load()
  }

  function clearColumn(): void {
    state.column = undefined
    canvas.setColumnPath(undefined)
    columnStatus.hidden = true
    writeUrl()
    if (state.node) void renderNodePanel(panel, state.node, panelActions)
  }

  function openPanel(): void {
    if (!state.node) {
      panel.hidden = true
      return
    }
    void renderNodePanel(panel, state.node, panelActions, state.column?.node === state.node ? state.column.column : undefined)
  }

  const panelActions = { focus, close, column: (node: string, column: string) => void highlightColumn(node, column) }

  function focus(id: string): void {
    interactionStart = performance.now()
    const node = byId.get(id)
    if (!node) return
    canvas.freeze()
    if (state.node !== id) {
      state.up = 1
      state.down = 1
    }
    state.node = id
    if (state.column && state.column.node !== id) {
      state.column = undefined
      canvas.setColumnPath(undefined)
      columnStatus.hidden = true
    }
    state.select = `${state.up}+${term(node)}+${state.down}`
    syncInputs()
    openPanel()
    void load()
  }

  function widen(up: number, down: number): void {
    if (!state.node) {
      status.textContent = 'Open a node first (click it or search for it); the depth controls widen its neighbourhood.'
      return
    }
    state.up = Math.max(0, state.up + up)
    state.down = Math.max(0, state.down + down)
    state.select = `${state.up}+${term(byId.get(state.node)!)}+${state.down}`
    interactionStart = performance.now()
    syncInputs()
    void load()
  }

  function close(): void {
    state.node = undefined
    canvas.setSelected(undefined)
    panel.hidden = true
    writeUrl()
  }

  function showAll(): void {
    interactionStart = performance.now()
    state.select = ''
    state.exclude = ''
    syncInputs()
    void load()
  }

  function applySelector(): void {
    interactionStart = performance.now()
    state.select = selectInput.value.trim()
    state.exclude = excludeInput.value.trim()
    // Typed depths around the open node become the depth controls' values.
    const typed = /^(\d+)\+(.+?)\+(\d+)$/.exec(state.select)
    const open = state.node ? byId.get(state.node) : undefined
    if (typed && open && typed[2] === term(open)) {
      state.up = Number(typed[1])
      state.down = Number(typed[3])
    }
    syncInputs()
    void load()
  }

  function syncInputs(): void {
    selectInput.value = state.select
    excludeInput.value = state.exclude
    upLabel.textContent = String(state.up)
    downLabel.textContent = String(state.down)
  }

  colourSelect.addEventListener('change', () => {
    state.colour = colourSelect.value as ColourMode
    canvas.setColourMode(state.colour)
    legendHost.replaceChildren(legend(state.colour))
    writeUrl()
  })

  let hits: SearchHit[] = []
  let active = 0
  const renderHits = () => {
    results.replaceChildren(
      ...hits.map((hit, i) =>
        h(
          'li',
          { class: i === active ? 'active' : undefined, 'data-node-id': hit.node.id, onmousedown: (event: Event) => (event.preventDefault(), choose(hit)) },
          h('span', { class: `kind kind-${hit.node.kind}` }, hit.node.kind),
          ' ',
          hit.node.name,
          hit.matched !== hit.node.name ? h('span', { class: 'muted' }, ` · ${hit.matched}`) : undefined,
        ),
      ),
    )
    results.hidden = hits.length === 0
  }
  const choose = (hit: SearchHit) => {
    searchInput.value = hit.column ? `${hit.node.name}.${hit.column}` : hit.node.name
    hits = []
    renderHits()
    if (hit.column) state.column = { node: hit.node.id, column: hit.column }
    focus(hit.node.id)
  }
  searchInput.addEventListener('input', () => {
    const started = performance.now()
    hits = search(searchInput.value)
    active = 0
    renderHits()
    metrics.searchMs.push(performance.now() - started)
  })
  searchInput.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault()
      active = Math.max(0, Math.min(hits.length - 1, active + (event.key === 'ArrowDown' ? 1 : -1)))
      renderHits()
    } else if (event.key === 'Enter' && hits[active]) choose(hits[active]!)
    else if (event.key === 'Escape') {
      hits = []
      renderHits()
    }
  })
  searchInput.addEventListener('blur', () => ((results.hidden = true), undefined))

  metrics.canvas = canvas
  canvas.setColourMode(state.colour)
  openPanel()
  await load(false)
}
