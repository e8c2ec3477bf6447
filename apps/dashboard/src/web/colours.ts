import type { LineageViewNode } from './api-client.ts'
import { h } from './dom.ts'

export type ColourMode = 'kind' | 'run' | 'test'

interface Palette {
  label: string
  entries: { key: string; label: string; colour: string }[]
  keyOf(node: LineageViewNode): string
}

const none = '#cbd5e1'

const entries = (list: [key: string, label: string, colour: string][]) => list.map(([key, label, colour]) => ({ key, label, colour }))

/** The three ways to colour the lineage, each with its legend. */
export const palettes: Record<ColourMode, Palette> = {
  kind: {
    label: 'Kind',
    entries: entries([
      ['source', 'source table', '#64748b'],
      ['source:csv', 'source file (CSV)', '#d97706'],
      ['raw', 'raw (replicated)', '#0891b2'],
      ['view', 'model: view', '#2563eb'],
      ['table', 'model: table', '#7c3aed'],
      ['incremental', 'model: incremental', '#db2777'],
      ['ephemeral', 'model: ephemeral', '#94a3b8'],
    ]),
    // a source read by something else than PostgreSQL (a CSV file, …) is `source:<kind>`
    keyOf: (node) =>
      node.kind === 'model' ? (node.materialized ?? 'view') : node.kind === 'source' && node.sourceKind && node.sourceKind !== 'postgres' ? `source:${node.sourceKind}` : node.kind,
  },
  run: {
    label: 'Last run',
    entries: entries([
      ['success', 'success', '#16a34a'],
      ['error', 'error', '#dc2626'],
      ['skipped', 'skipped', '#f59e0b'],
      ['running', 'running', '#3b82f6'],
      ['abandoned', 'abandoned (process gone)', '#64748b'],
      ['none', 'never built', none],
    ]),
    keyOf: (node) => node.runStatus ?? 'none',
  },
  test: {
    label: 'Worst test',
    entries: entries([
      ['pass', 'all pass', '#16a34a'],
      ['warn', 'warn', '#f59e0b'],
      ['fail', 'fail', '#dc2626'],
      ['error', 'error', '#7f1d1d'],
      ['none', 'no results', none],
    ]),
    keyOf: (node) => node.testStatus ?? 'none',
  },
}

/** The fill of a node in the chosen colouring. */
export function colourOf(mode: ColourMode, node: LineageViewNode): string {
  const palette = palettes[mode]
  const key = palette.keyOf(node)
  return palette.entries.find((entry) => entry.key === key)?.colour ?? none
}

/** The colour of a test status (badges, history cells). */
export const testStatusColour = (status: string | undefined): string =>
  palettes.test.entries.find((entry) => entry.key === status)?.colour ?? none

/** The legend of a colouring, plus the dashed relationships edge. */
export function legend(mode: ColourMode): HTMLElement {
  const palette = palettes[mode]
  return h(
    'div',
    { class: 'legend', 'data-mode': mode },
    h('strong', {}, palette.label),
    ...palette.entries.map((entry) => h('span', { class: 'legend-item' }, h('i', { style: `background:${entry.colour}` }), entry.label)),
    h('span', { class: 'legend-item' }, h('i', { class: 'dashed' }), 'relationships test'),
  )
}
