import { describe, expect, it } from 'vitest'
import { generatedSource } from '../src/data/generated-source.ts'
import { layeredLayout } from '../src/lineage/layered-layout.ts'

const positions = (layout: ReturnType<typeof layeredLayout>) => Object.fromEntries(layout.nodes.map((n) => [n.id, n]))

describe('layeredLayout', () => {
  it('puts a chain left to right on one row', () => {
    const at = positions(layeredLayout({ ids: ['c', 'a', 'b'], edges: [['a', 'b'], ['b', 'c']] }))
    expect([at.a!.x, at.b!.x, at.c!.x]).toEqual([0, 260, 520])
    expect(new Set([at.a!.y, at.b!.y, at.c!.y]).size).toBe(1)
  })

  it('places a node one column right of its deepest parent, between its parents', () => {
    const at = positions(layeredLayout({ ids: ['a', 'b', 'c', 'd', 'e'], edges: [['a', 'b'], ['a', 'c'], ['b', 'd'], ['c', 'd'], ['a', 'e'], ['d', 'e']] }))
    expect(at.b!.layer).toBe(1)
    expect(at.c!.layer).toBe(1)
    expect(at.e!.layer).toBe(3)
    expect(Math.abs(at.b!.y - at.c!.y)).toBeGreaterThanOrEqual(50)
    expect(at.d!.y).toBe((at.b!.y + at.c!.y) / 2)
  })

  it('survives a cycle instead of looping', () => {
    const layout = layeredLayout({ ids: ['a', 'b', 'c'], edges: [['a', 'b'], ['b', 'c'], ['c', 'b']] })
    expect(layout.nodes).toHaveLength(3)
    expect(positions(layout).b!.layer).toBeGreaterThan(0)
  })

  it('lays out 2,000 models and 5,000 edges without overlaps, every edge pointing right', async () => {
    const manifest = await generatedSource({ models: 2000, edges: 5000 }).manifest()
    const edges = manifest.nodes.flatMap((node) => node.parents.map((parent) => [parent, node.id] as const))
    expect(manifest.nodes.filter((n) => n.kind === 'model')).toHaveLength(2000)
    expect(edges).toHaveLength(5000)
    const layout = layeredLayout({ ids: manifest.nodes.map((n) => n.id), edges })
    const at = positions(layout)
    for (const [from, to] of edges) expect(at[from]!.x).toBeLessThan(at[to]!.x)
    const columns = new Map<number, number[]>()
    for (const node of layout.nodes) columns.set(node.x, [...(columns.get(node.x) ?? []), node.y])
    for (const ys of columns.values()) {
      ys.sort((a, b) => a - b)
      for (let i = 1; i < ys.length; i++) expect(ys[i]! - ys[i - 1]!).toBeGreaterThanOrEqual(layout.nodeHeight)
    }
    expect(Math.min(...layout.nodes.map((n) => n.y))).toBe(0)
    expect(Math.max(...layout.nodes.map((n) => n.y)) + layout.nodeHeight).toBe(layout.height)
  })
})
