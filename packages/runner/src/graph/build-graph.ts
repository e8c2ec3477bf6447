import graphology from 'graphology'
import { EltError, ExitCode } from '@elt/core'
import type { AnyRelation, Dependencies } from '../define/relation.ts'
import type { Project } from '../define/project.ts'

const { DirectedGraph } = graphology

export interface NodeAttributes {
  relation: AnyRelation
}

/** The project's DAG: an edge `parent → child` for every `from` entry. */
export type ModelGraph = InstanceType<typeof DirectedGraph<NodeAttributes>>

/**
 * Builds the graphology graph of sources and models and checks it has no cycle.
 * A cycle is an error naming its path: `model.a → model.b → model.a`.
 */
export function buildGraph(project: Project): ModelGraph {
  const graph: ModelGraph = new DirectedGraph<NodeAttributes>()
  for (const source of project.sources.values()) graph.addNode(source.id, { relation: source })
  for (const model of project.models.values()) graph.addNode(model.id, { relation: model })
  for (const model of project.models.values()) {
    for (const dep of Object.values(model.from as Dependencies)) {
      if (!graph.hasDirectedEdge(dep.id, model.id)) graph.addDirectedEdge(dep.id, model.id)
    }
  }
  const cycle = findCycle(graph)
  if (cycle) {
    throw new EltError(`The models form a cycle: ${cycle.join(' → ')}.`, {
      hint: 'A model cannot depend on itself, directly or through others: remove one of these dependencies.',
      exitCode: ExitCode.usage,
    })
  }
  return graph
}

/** The path of one cycle (first node repeated at the end), or undefined. Iterative DFS. */
export function findCycle(graph: ModelGraph): string[] | undefined {
  const state = new Map<string, 1 | 2>() // 1 on the stack, 2 done
  for (const start of graph.nodes().sort()) {
    if (state.has(start)) continue
    const stack: { node: string; children: string[] }[] = [{ node: start, children: graph.outNeighbors(start).sort() }]
    state.set(start, 1)
    while (stack.length) {
      const top = stack[stack.length - 1]!
      const next = top.children.shift()
      if (next === undefined) {
        state.set(top.node, 2)
        stack.pop()
        continue
      }
      const seen = state.get(next)
      if (seen === 1) {
        const path = stack.map((s) => s.node)
        return [...path.slice(path.indexOf(next)), next]
      }
      if (seen === undefined) {
        state.set(next, 1)
        stack.push({ node: next, children: graph.outNeighbors(next).sort() })
      }
    }
  }
  return undefined
}

/**
 * Node ids in dependency order (parents first), ties broken by id so the order is stable.
 * With `only`, restricted to those ids (still in dependency order).
 */
export function topologicalOrder(graph: ModelGraph, only?: ReadonlySet<string>): string[] {
  const inDegree = new Map<string, number>()
  graph.forEachNode((node) => inDegree.set(node, graph.inDegree(node)))
  const ready = graph.nodes().filter((n) => inDegree.get(n) === 0).sort()
  const order: string[] = []
  while (ready.length) {
    const node = ready.shift()!
    order.push(node)
    const unlocked: string[] = []
    graph.forEachOutNeighbor(node, (child) => {
      const left = inDegree.get(child)! - 1
      inDegree.set(child, left)
      if (left === 0) unlocked.push(child)
    })
    if (unlocked.length) {
      ready.push(...unlocked)
      ready.sort()
    }
  }
  return only ? order.filter((id) => only.has(id)) : order
}

/** All ancestors (or descendants) of `node` up to `depth` hops (Infinity: all). */
export function reachable(graph: ModelGraph, node: string, direction: 'up' | 'down', depth = Infinity): Set<string> {
  const seen = new Set<string>()
  let frontier = [node]
  for (let hop = 0; hop < depth && frontier.length; hop++) {
    const next: string[] = []
    for (const current of frontier) {
      const neighbors = direction === 'up' ? graph.inNeighbors(current) : graph.outNeighbors(current)
      for (const n of neighbors) {
        if (!seen.has(n) && n !== node) {
          seen.add(n)
          next.push(n)
        }
      }
    }
    frontier = next
  }
  return seen
}
