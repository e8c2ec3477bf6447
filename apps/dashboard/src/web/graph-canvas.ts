import type { ColumnLineage, LineageView, LineageViewNode } from './api-client.ts'
import { colourOf, testStatusColour, type ColourMode } from './colours.ts'
import { columnPathIn, drawColumnPath, type ColumnPath } from './column-path.ts'
import { truncateText } from './truncate-text.ts'

/**
 * Draws a laid-out lineage on one canvas. Holds up at thousands of nodes by drawing only what
 * is on screen (culling) and by simplifying when zoomed out (level of detail): below 40 % zoom
 * nodes are plain coloured boxes batched by colour and edges are straight lines in one path.
 */
export class GraphCanvas {
  readonly canvas: HTMLCanvasElement
  private view: LineageView | undefined
  private byId = new Map<string, LineageViewNode>()
  private scale = 1
  private tx = 0
  private ty = 0
  private frame = 0
  private colourMode: ColourMode = 'kind'
  private selected: string | undefined
  private hovered: string | undefined
  private neighbours = new Set<string>()
  private onDrawn: (() => void) | undefined
  /** Milliseconds the last frame took to draw (read by the scale test). */
  lastDrawMs = 0
  /** While panning or zooming a large graph, edges are left out until the gesture settles. */
  private interacting = false
  private settle: ReturnType<typeof setTimeout> | undefined
  /** Set while the next view loads: the old one is not redrawn (a whole-graph frame costs ~60 ms). */
  private frozen = false
  /** A highlighted column's lineage: per node on it (in the view), its columns on the path in table order. */
  private columnPath: ColumnPath | undefined
  private columnOrder: (node: string, column: string) => number = () => 0

  constructor(
    private readonly container: HTMLElement,
    private readonly onSelect: (node: LineageViewNode) => void,
  ) {
    this.canvas = document.createElement('canvas')
    this.canvas.className = 'graph-canvas'
    container.appendChild(this.canvas)
    new ResizeObserver(() => this.requestDraw()).observe(container)
    this.bindPointer()
  }

  /** Replaces the drawn graph; `whenDrawn` runs after the first frame of it is on screen. */
  setView(view: LineageView, selected: string | undefined, whenDrawn?: () => void): void {
    this.view = view
    this.frozen = false
    this.byId = new Map(view.nodes.map((node) => [node.id, node]))
    this.setSelected(selected)
    this.fit()
    this.onDrawn = whenDrawn
    this.requestDraw()
  }

  /** How a node orders its columns (the manifest's order), for the rows drawn inside it. */
  setColumnOrder(order: (node: string, column: string) => number): void {
    this.columnOrder = order
  }

  /**
   * Highlights a column's lineage: its columns drawn inside the nodes on the path (in this view),
   * edges between them (`direct` solid, `derived` dashed, `filter` dotted to the node it filters).
   * Returns the ids of the path's nodes this view shows; `whenDrawn` runs after the frame.
   */
  setColumnPath(path: ColumnLineage | undefined, whenDrawn?: () => void): Set<string> {
    if (!path) {
      this.columnPath = undefined
      this.requestDraw()
      return new Set()
    }
    const { columnPath, shown } = columnPathIn(path, this.byId, this.columnOrder)
    this.columnPath = columnPath
    if (whenDrawn) {
      const previous = this.onDrawn
      this.onDrawn = () => (previous?.(), whenDrawn())
    }
    this.requestDraw()
    return shown
  }

  setColourMode(mode: ColourMode): void {
    this.colourMode = mode
    this.requestDraw()
  }

  setSelected(id: string | undefined): void {
    this.selected = id
    this.neighbours = new Set()
    if (id && this.view) for (const edge of this.view.edges) if (edge.from === id) this.neighbours.add(edge.to); else if (edge.to === id) this.neighbours.add(edge.from)
    this.requestDraw()
  }

  /** Where a node is on the page, in CSS pixels (used by tests to click it like a person would). */
  screenRect(id: string): { x: number; y: number; width: number; height: number } | undefined {
    const node = this.byId.get(id)
    if (!node || !this.view) return undefined
    const rect = this.canvas.getBoundingClientRect()
    return { x: rect.left + node.x * this.scale + this.tx, y: rect.top + node.y * this.scale + this.ty, width: this.view.nodeWidth * this.scale, height: this.view.nodeHeight * this.scale }
  }

  zoomBy(factor: number, cx = this.canvas.clientWidth / 2, cy = this.canvas.clientHeight / 2): void {
    const next = Math.min(3, Math.max(0.02, this.scale * factor))
    this.tx = cx - ((cx - this.tx) * next) / this.scale
    this.ty = cy - ((cy - this.ty) * next) / this.scale
    this.scale = next
    this.requestDraw()
  }

  /** Scales and centres the whole view in the canvas (never above 100 %). */
  fit(): void {
    if (!this.view) return
    const width = this.container.clientWidth || 800
    const height = this.container.clientHeight || 600
    const margin = 40
    this.scale = Math.min(1, (width - margin * 2) / Math.max(1, this.view.width), (height - margin * 2) / Math.max(1, this.view.height))
    this.scale = Math.max(0.02, this.scale)
    this.tx = (width - this.view.width * this.scale) / 2
    this.ty = (height - this.view.height * this.scale) / 2
    this.requestDraw()
  }

  /** Keeps the current frame as it is until the next `setView`. */
  freeze(): void {
    this.frozen = true
  }

  /** Draws again after `freeze` when no new view came (the load failed). */
  thaw(): void {
    this.frozen = false
    this.requestDraw()
  }

  /** Marks a pan/zoom step: large graphs drop their edges until 150 ms after the last step. */
  private gesture(): void {
    this.interacting = true
    clearTimeout(this.settle)
    this.settle = setTimeout(() => {
      this.interacting = false
      this.requestDraw()
    }, 150)
  }

  requestDraw(): void {
    if (this.frame || this.frozen) return
    this.frame = requestAnimationFrame(() => {
      this.frame = 0
      if (this.frozen) return
      const started = performance.now()
      this.draw()
      this.lastDrawMs = performance.now() - started
      const drawn = this.onDrawn
      this.onDrawn = undefined
      drawn?.()
    })
  }

  private nodeAt(clientX: number, clientY: number): LineageViewNode | undefined {
    if (!this.view) return undefined
    const rect = this.canvas.getBoundingClientRect()
    const wx = (clientX - rect.left - this.tx) / this.scale
    const wy = (clientY - rect.top - this.ty) / this.scale
    const { nodeWidth: w, nodeHeight: h } = this.view
    for (let i = this.view.nodes.length - 1; i >= 0; i--) {
      const node = this.view.nodes[i]!
      if (wx >= node.x && wx <= node.x + w && wy >= node.y && wy <= node.y + h) return node
    }
    return undefined
  }

  private bindPointer(): void {
    let drag: { x: number; y: number; tx: number; ty: number; moved: boolean } | undefined
    this.canvas.addEventListener('pointerdown', (event) => {
      drag = { x: event.clientX, y: event.clientY, tx: this.tx, ty: this.ty, moved: false }
      this.canvas.setPointerCapture(event.pointerId)
    })
    this.canvas.addEventListener('pointermove', (event) => {
      if (drag) {
        const dx = event.clientX - drag.x
        const dy = event.clientY - drag.y
        if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true
        if (drag.moved) {
          this.gesture()
          this.tx = drag.tx + dx
          this.ty = drag.ty + dy
          this.requestDraw()
        }
        return
      }
      const hovered = this.nodeAt(event.clientX, event.clientY)?.id
      if (hovered !== this.hovered) {
        this.hovered = hovered
        this.canvas.style.cursor = hovered ? 'pointer' : 'grab'
        this.canvas.title = hovered ? (this.byId.get(hovered)?.label ?? '') : ''
        this.requestDraw()
      }
    })
    this.canvas.addEventListener('pointerup', (event) => {
      const wasDrag = drag?.moved
      drag = undefined
      if (wasDrag) return
      const node = this.nodeAt(event.clientX, event.clientY)
      if (node) this.onSelect(node)
    })
    this.canvas.addEventListener(
      'wheel',
      (event) => {
        event.preventDefault()
        this.gesture()
        const rect = this.canvas.getBoundingClientRect()
        this.zoomBy(Math.exp(-event.deltaY * 0.0015), event.clientX - rect.left, event.clientY - rect.top)
      },
      { passive: false },
    )
  }

  private draw(): void {
    const ratio = window.devicePixelRatio || 1
    const width = this.container.clientWidth
    const height = this.container.clientHeight
    if (this.canvas.width !== Math.round(width * ratio) || this.canvas.height !== Math.round(height * ratio)) {
      this.canvas.width = Math.round(width * ratio)
      this.canvas.height = Math.round(height * ratio)
      this.canvas.style.width = `${width}px`
      this.canvas.style.height = `${height}px`
    }
    const ctx = this.canvas.getContext('2d')!
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0)
    ctx.clearRect(0, 0, width, height)
    if (!this.view) return
    ctx.setTransform(ratio * this.scale, 0, 0, ratio * this.scale, ratio * this.tx, ratio * this.ty)
    const { nodeWidth: w, nodeHeight: h } = this.view
    // The visible world rectangle, with one node of slack so nothing pops at the edges.
    const left = -this.tx / this.scale - w
    const top = -this.ty / this.scale - h
    const right = (width - this.tx) / this.scale + w
    const bottom = (height - this.ty) / this.scale + h
    const detailed = this.scale >= 0.4
    const visible = (x: number, y: number) => x >= left && x <= right && y >= top && y <= bottom

    if (!(this.interacting && this.view.edges.length > 1500)) this.drawEdges(ctx, detailed, left, top, right, bottom)

    const nodes = this.view.nodes.filter((node) => visible(node.x, node.y))
    if (!detailed) {
      const byColour = new Map<string, LineageViewNode[]>()
      for (const node of nodes) {
        const colour = colourOf(this.colourMode, node)
        const list = byColour.get(colour)
        if (list) list.push(node)
        else byColour.set(colour, [node])
      }
      for (const [colour, list] of byColour) {
        ctx.fillStyle = colour
        ctx.beginPath()
        for (const node of list) ctx.rect(node.x, node.y, w, h)
        ctx.fill()
      }
      if (this.selected && this.byId.has(this.selected)) {
        const node = this.byId.get(this.selected)!
        ctx.lineWidth = 4 / this.scale
        ctx.strokeStyle = '#111827'
        ctx.strokeRect(node.x, node.y, w, h)
      }
      if (this.columnPath) drawColumnPath(ctx, this.columnPath, { byId: this.byId, nodeWidth: w, nodeHeight: h, scale: this.scale, detailed, visible })
      return
    }
    ctx.font = '600 13px system-ui, sans-serif'
    ctx.textBaseline = 'middle'
    for (const node of nodes) this.drawNode(ctx, node, w, h)
    if (this.columnPath) drawColumnPath(ctx, this.columnPath, { byId: this.byId, nodeWidth: w, nodeHeight: h, scale: this.scale, detailed, visible })
  }

  private drawEdges(ctx: CanvasRenderingContext2D, detailed: boolean, left: number, top: number, right: number, bottom: number): void {
    const { nodeWidth: w, nodeHeight: h } = this.view!
    const paths = { ref: new Path2D(), relationship: new Path2D(), focus: new Path2D() }
    for (const edge of this.view!.edges) {
      const from = this.byId.get(edge.from)
      const to = this.byId.get(edge.to)
      if (!from || !to) continue
      const x1 = from.x + w
      const y1 = from.y + h / 2
      const x2 = to.x
      const y2 = to.y + h / 2
      if (Math.max(x1, x2) < left || Math.min(x1, x2) > right || Math.max(y1, y2) < top || Math.min(y1, y2) > bottom) continue
      const path = edge.kind === 'relationship' ? paths.relationship : this.selected && (edge.from === this.selected || edge.to === this.selected) ? paths.focus : paths.ref
      if (x2 <= from.x) {
        // A relationships test between nodes of one column (or right to left): an arc on their left sides.
        const bulge = 40 + Math.abs(y2 - y1) / 4
        path.moveTo(from.x, y1)
        path.bezierCurveTo(from.x - bulge, y1, to.x - bulge, y2, to.x, y2)
        continue
      }
      path.moveTo(x1, y1)
      if (detailed) {
        const bend = Math.max(40, Math.abs(x2 - x1) / 2)
        path.bezierCurveTo(x1 + bend, y1, x2 - bend, y2, x2, y2)
      } else path.lineTo(x2, y2)
    }
    const px = 1 / this.scale
    // Zoomed out, hairlines in a solid colour: translucent wide strokes cost a software rasteriser ~10× more.
    ctx.lineWidth = detailed ? Math.max(1, 1.2 * px) : px
    ctx.strokeStyle = detailed ? '#94a3b8' : '#cbd5e1'
    ctx.stroke(paths.ref)
    ctx.strokeStyle = '#0f172a'
    ctx.lineWidth = Math.max(1.5, 2 * px)
    ctx.stroke(paths.focus)
    ctx.setLineDash([6 * Math.max(1, px), 4 * Math.max(1, px)])
    ctx.strokeStyle = '#9333ea'
    ctx.lineWidth = Math.max(1.2, 1.5 * px)
    ctx.stroke(paths.relationship)
    ctx.setLineDash([])
  }

  private drawNode(ctx: CanvasRenderingContext2D, node: LineageViewNode, w: number, h: number): void {
    const colour = colourOf(this.colourMode, node)
    const selected = node.id === this.selected
    const onPath = this.columnPath?.rows.has(node.id) ?? false
    const dimmed = this.columnPath ? !onPath && !selected : this.selected !== undefined && !selected && !this.neighbours.has(node.id)
    ctx.globalAlpha = dimmed ? 0.55 : 1
    ctx.beginPath()
    ctx.roundRect(node.x, node.y, w, h, 6)
    ctx.fillStyle = '#ffffff'
    ctx.fill()
    ctx.lineWidth = selected ? 3 : node.id === this.hovered ? 2 : 1
    ctx.strokeStyle = selected ? '#111827' : colour
    ctx.stroke()
    ctx.fillStyle = colour
    ctx.beginPath()
    ctx.roundRect(node.x, node.y, 8, h, [6, 0, 0, 6])
    ctx.fill()
    ctx.fillStyle = '#0f172a'
    const badge = node.testCount > 0 ? 26 : 0
    ctx.fillText(truncateText(ctx, node.label, w - 22 - badge), node.x + 14, node.y + h / 2)
    if (badge) {
      ctx.fillStyle = testStatusColour(node.testStatus)
      ctx.beginPath()
      ctx.roundRect(node.x + w - badge - 4, node.y + h / 2 - 9, badge, 18, 9)
      ctx.fill()
      ctx.fillStyle = '#ffffff'
      ctx.font = '600 11px system-ui, sans-serif'
      ctx.textAlign = 'center'
      ctx.fillText(String(node.testCount), node.x + w - badge / 2 - 4, node.y + h / 2 + 0.5)
      ctx.textAlign = 'start'
      ctx.font = '600 13px system-ui, sans-serif'
    }
    ctx.globalAlpha = 1
  }
}

