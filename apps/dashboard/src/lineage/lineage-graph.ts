import type { DashboardManifest, LineageNode } from '../data/dashboard-source.ts'

/** The manifest's nodes indexed for walking: parents, children, names. Built once per manifest version. */
export interface LineageGraph {
  manifest: DashboardManifest
  byId: Map<string, LineageNode>
  /** Short names (`film_ratings`, `films`) and qualified ones (`raw.films`) → ids. */
  byName: Map<string, string[]>
  parents: Map<string, string[]>
  children: Map<string, string[]>
  /** Dashed edges drawn for relationships tests: parent side → child side. */
  relationshipEdges: [string, string][]
}

/**
 * ```ts
 * const graph = lineageGraph(manifest)
 * graph.children.get('raw.films') // → ['model.stg_films']
 * ```
 */
export function lineageGraph(manifest: DashboardManifest): LineageGraph {
  const byId = new Map(manifest.nodes.map((node) => [node.id, node]))
  const byName = new Map<string, string[]>()
  const parents = new Map<string, string[]>()
  const children = new Map<string, string[]>()
  const addName = (name: string, id: string) => {
    const list = byName.get(name)
    if (list) {
      if (!list.includes(id)) list.push(id)
    } else byName.set(name, [id])
  }
  for (const node of manifest.nodes) {
    addName(node.name, node.id)
    addName(node.id, node.id)
    if (node.schema) addName(`${node.schema}.${node.name}`, node.id)
    parents.set(node.id, node.parents.filter((p) => byId.has(p)))
    children.set(node.id, [])
  }
  for (const [id, ps] of parents) for (const p of ps) children.get(p)!.push(id)
  const relationshipEdges: [string, string][] = []
  const seen = new Set<string>()
  for (const test of manifest.tests) {
    if (!test.references || !byId.has(test.references.nodeId) || !byId.has(test.nodeId)) continue
    const key = `${test.references.nodeId}\u0000${test.nodeId}`
    if (seen.has(key)) continue
    seen.add(key)
    relationshipEdges.push([test.references.nodeId, test.nodeId])
  }
  return { manifest, byId, byName, parents, children, relationshipEdges }
}

/** Ids reachable from `start` along `next`, up to `depth` steps (Infinity for all), `start` excluded. */
export function walk(start: Iterable<string>, next: Map<string, string[]>, depth: number): Set<string> {
  const found = new Set<string>()
  let frontier = [...start]
  for (let d = 0; d < depth && frontier.length > 0; d++) {
    const following: string[] = []
    for (const id of frontier)
      for (const m of next.get(id) ?? [])
        if (!found.has(m)) {
          found.add(m)
          following.push(m)
        }
    frontier = following
  }
  return found
}
