/**
 * A left-to-right layered layout of a DAG, computed on the server so the browser only draws.
 *
 * Sugiyama in its simplest robust form: longest-path layers (a node sits one column right of
 * its furthest parent), barycenter ordering sweeps to cut crossings, then each node placed near
 * the mean height of its parents with overlaps pushed apart. Linear in nodes + edges per sweep,
 * so 2,000 nodes / 5,000 edges lay out in tens of milliseconds (general-purpose layouts such as
 * dagre's network simplex take seconds at that size).
 */

export interface LayoutInput {
  ids: readonly string[]
  /** Edges between ids of `ids` (others are ignored): `[from, to]` with `from` upstream. */
  edges: readonly (readonly [string, string])[]
}

export interface LayoutOptions {
  nodeWidth?: number
  nodeHeight?: number
  columnGap?: number
  rowGap?: number
  sweeps?: number
}

export interface PositionedNode {
  id: string
  x: number
  y: number
  layer: number
}

export interface Layout {
  nodes: PositionedNode[]
  width: number
  height: number
  nodeWidth: number
  nodeHeight: number
}

/**
 * ```ts
 * layeredLayout({ ids: ['a', 'b', 'c'], edges: [['a', 'c'], ['b', 'c']] })
 * // → a and b in column 0 (x = 0), c in column 1 (x = 260) between them
 * ```
 */
export function layeredLayout(input: LayoutInput, options: LayoutOptions = {}): Layout {
  const nodeWidth = options.nodeWidth ?? 180
  const nodeHeight = options.nodeHeight ?? 36
  const columnGap = options.columnGap ?? 80
  const rowGap = options.rowGap ?? 14
  const sweeps = options.sweeps ?? 4
  const n = input.ids.length
  const index = new Map<string, number>()
  input.ids.forEach((id, i) => index.set(id, i))

  const parents: number[][] = Array.from({ length: n }, () => [])
  const children: number[][] = Array.from({ length: n }, () => [])
  for (const [from, to] of input.edges) {
    const a = index.get(from)
    const b = index.get(to)
    if (a === undefined || b === undefined || a === b) continue
    parents[b]!.push(a)
    children[a]!.push(b)
  }

  const layer = longestPathLayers(parents, children)
  const layerCount = n === 0 ? 0 : Math.max(...layer) + 1
  const layers: number[][] = Array.from({ length: layerCount }, () => [])
  for (let i = 0; i < n; i++) layers[layer[i]!]!.push(i)

  // Barycenter ordering: alternate sweeps down (by parents) and up (by children).
  const position = new Float64Array(n)
  for (const nodes of layers) nodes.forEach((node, i) => (position[node] = i))
  const reorder = (nodes: number[], neighbours: number[][]) => {
    const key = new Float64Array(n)
    for (const node of nodes) {
      const ns = neighbours[node]!
      if (ns.length === 0) key[node] = position[node]!
      else {
        let sum = 0
        for (const m of ns) sum += position[m]!
        key[node] = sum / ns.length
      }
    }
    nodes.sort((a, b) => key[a]! - key[b]! || a - b)
    nodes.forEach((node, i) => (position[node] = i))
  }
  for (let s = 0; s < sweeps; s++) {
    for (let l = 1; l < layerCount; l++) reorder(layers[l]!, parents)
    for (let l = layerCount - 2; l >= 0; l--) reorder(layers[l]!, children)
  }

  // Vertical placement: near the parents' mean, overlaps pushed apart in layer order.
  const step = nodeHeight + rowGap
  const y = new Float64Array(n)
  for (let l = 0; l < layerCount; l++) {
    const nodes = layers[l]!
    const desired = nodes.map((node, i) => {
      const ps = parents[node]!
      if (l === 0 || ps.length === 0) return i * step
      let sum = 0
      for (const p of ps) sum += y[p]!
      return sum / ps.length
    })
    let previous = -Infinity
    let shift = 0
    nodes.forEach((node, i) => {
      const value = Math.max(desired[i]!, previous + step)
      y[node] = value
      previous = value
      shift += value - desired[i]!
    })
    shift /= Math.max(1, nodes.length)
    for (const node of nodes) y[node] = y[node]! - shift
  }
  let minY = Infinity
  let maxY = -Infinity
  for (let i = 0; i < n; i++) {
    minY = Math.min(minY, y[i]!)
    maxY = Math.max(maxY, y[i]!)
  }
  if (n === 0) minY = maxY = 0

  const nodes: PositionedNode[] = input.ids.map((id, i) => ({
    id,
    x: layer[i]! * (nodeWidth + columnGap),
    y: Math.round(y[i]! - minY),
    layer: layer[i]!,
  }))
  return {
    nodes,
    width: layerCount === 0 ? 0 : layerCount * (nodeWidth + columnGap) - columnGap,
    height: n === 0 ? 0 : Math.round(maxY - minY) + nodeHeight,
    nodeWidth,
    nodeHeight,
  }
}

/** Layer of each node: 0 for roots, else 1 + the deepest parent's layer. Nodes on a cycle land after the rest. */
function longestPathLayers(parents: number[][], children: number[][]): number[] {
  const n = parents.length
  const layer = new Array<number>(n).fill(0)
  const pending = parents.map((ps) => ps.length)
  const queue: number[] = []
  for (let i = 0; i < n; i++) if (pending[i] === 0) queue.push(i)
  let seen = 0
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head]!
    seen++
    for (const child of children[node]!) {
      layer[child] = Math.max(layer[child]!, layer[node]! + 1)
      if (--pending[child]! === 0) queue.push(child)
    }
  }
  if (seen < n) {
    const last = Math.max(0, ...layer) + 1
    for (let i = 0; i < n; i++) if (pending[i]! > 0) layer[i] = last
  }
  return layer
}
