import type { ColumnLineage, LineageViewNode } from './api-client.ts'
import { truncateText } from './truncate-text.ts'

/** A highlighted column's lineage in one view: per node on it (in the view), its columns on the path in table order. */
export interface ColumnPath {
  path: ColumnLineage
  rows: Map<string, string[]>
}

/** Height of one column's row inside a node on a highlighted column path. */
const columnRow = 16

/**
 * The column path as the view can draw it, and the ids of the path's nodes the view shows (the
 * nodes with a column on it, and the nodes a `filter` edge points to).
 *
 * ```ts
 * columnPathIn(path, byId, order) // { columnPath: { path, rows: Map { 'model.film_ratings' => ['film_id', 'rating'] } }, shown: Set { … } }
 * ```
 */
export function columnPathIn(
  path: ColumnLineage,
  byId: ReadonlyMap<string, LineageViewNode>,
  columnOrder: (node: string, column: string) => number,
): { columnPath: ColumnPath; shown: Set<string> } {
  const shown = new Set<string>()
  const rows = new Map<string, string[]>()
  for (const { node, column } of path.columns) {
    if (!byId.has(node)) continue
    shown.add(node)
    const list = rows.get(node)
    if (list) list.push(column)
    else rows.set(node, [column])
  }
  for (const edge of path.edges) if (edge.to.column === null && byId.has(edge.to.node)) shown.add(edge.to.node)
  for (const [node, list] of rows) list.sort((a, b) => columnOrder(node, a) - columnOrder(node, b))
  return { columnPath: { path, rows }, shown }
}

/** What drawing a column path needs of the canvas: its nodes, their size and the zoom. */
export interface ColumnPathScene {
  byId: ReadonlyMap<string, LineageViewNode>
  nodeWidth: number
  nodeHeight: number
  scale: number
  /** Zoomed in (≥ 40 %): columns drawn as rows inside their nodes. */
  detailed: boolean
  visible: (x: number, y: number) => boolean
}

/**
 * The highlighted column lineage on top of the graph (world coordinates already set on `ctx`).
 * Zoomed in: each node on the path grows a list of its path columns, and edges join the rows
 * (`direct` solid, `derived` dashed, `filter` dotted); zoomed out: node to node, same dash styles.
 */
export function drawColumnPath(ctx: CanvasRenderingContext2D, { path, rows }: ColumnPath, scene: ColumnPathScene): void {
  const { byId, nodeWidth: w, nodeHeight: h, detailed, visible } = scene
  const px = 1 / scene.scale
  /** Where a column's row sits inside its node (drawn below the node's title). */
  const rowY = (node: LineageViewNode, index: number) => node.y + h + 4 + index * columnRow + columnRow / 2
  const anchor = (node: string, column: string | null, side: 'in' | 'out'): [number, number] | undefined => {
    const n = byId.get(node)
    if (!n) return undefined
    const x = side === 'out' ? n.x + w : n.x
    if (!detailed || column === null) return [x, n.y + h / 2]
    const index = rows.get(node)?.indexOf(column) ?? -1
    return index === -1 ? [x, n.y + h / 2] : [x, rowY(n, index)]
  }
  const styles = {
    direct: { colour: '#0284c7', dash: [] as number[] },
    derived: { colour: '#ea580c', dash: [7, 4] },
    filter: { colour: '#64748b', dash: [2, 3] },
  }
  for (const kind of ['filter', 'derived', 'direct'] as const) {
    const line = new Path2D()
    for (const edge of path.edges) {
      if (edge.kind !== kind) continue
      const from = anchor(edge.from.node, edge.from.column, 'out')
      const to = anchor(edge.to.node, edge.to.column, 'in')
      if (!from || !to) continue
      line.moveTo(from[0], from[1])
      // zoomed out: straight lines, as the graph's own edges (thousands stay cheap)
      if (!detailed) line.lineTo(to[0], to[1])
      else {
        const bend = Math.max(30, Math.abs(to[0] - from[0]) / 2)
        if (to[0] > from[0]) line.bezierCurveTo(from[0] + bend, from[1], to[0] - bend, to[1], to[0], to[1])
        else line.bezierCurveTo(from[0] + 40, from[1], to[0] - 40, to[1], to[0], to[1])
      }
    }
    const style = styles[kind]
    ctx.strokeStyle = style.colour
    ctx.lineWidth = detailed ? Math.max(1.5, 2 * px) : 2 * px
    ctx.setLineDash(style.dash.map((d) => d * Math.max(1, detailed ? 1 : px)))
    ctx.stroke(line)
  }
  ctx.setLineDash([])
  const root = `${path.node}\u0000${path.column}`
  ctx.strokeStyle = '#0284c7'
  if (!detailed) {
    const outlines = new Path2D()
    for (const id of rows.keys()) {
      const node = byId.get(id)!
      outlines.rect(node.x, node.y, w, h)
    }
    ctx.lineWidth = 3 * px
    ctx.stroke(outlines)
    return
  }
  for (const [id, columns] of rows) {
    const node = byId.get(id)!
    if (!visible(node.x, node.y)) continue
    ctx.lineWidth = 2.5
    const height = columns.length * columnRow + 8
    ctx.beginPath()
    ctx.roundRect(node.x, node.y, w, h + height, 6)
    ctx.stroke()
    ctx.fillStyle = '#f0f9ff'
    ctx.fillRect(node.x + 1, node.y + h, w - 2, height - 1)
    ctx.font = '12px ui-monospace, monospace'
    ctx.textBaseline = 'middle'
    columns.forEach((column, i) => {
      const y = rowY(node, i)
      const isRoot = `${id}\u0000${column}` === root
      if (isRoot) {
        ctx.fillStyle = '#bae6fd'
        ctx.fillRect(node.x + 2, y - columnRow / 2, w - 4, columnRow)
      }
      ctx.fillStyle = '#0c4a6e'
      ctx.fillText(truncateText(ctx, column, w - 20), node.x + 10, y)
    })
    ctx.font = '600 13px system-ui, sans-serif'
  }
}
