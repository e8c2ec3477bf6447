import type { LineageNode } from './api-client.ts'

export interface SearchHit {
  node: Pick<LineageNode, 'id' | 'name' | 'kind'>
  /** What matched: the name, `tag: x` or `column: y`. */
  matched: string
  /** The column, when a column matched (choosing the hit highlights its lineage). */
  column?: string
  score: number
}

interface Entry {
  node: SearchHit['node']
  fields: { text: string; lower: string; label: string; weight: number; column?: string; dotted?: boolean }[]
}

/**
 * Fuzzy search over node names, tags and columns, prepared once per manifest.
 * Characters must appear in order; contiguous runs, word starts and exact prefixes score higher.
 *
 * ```ts
 * const search = searchIndex(manifest.nodes)
 * search('flmrat') // → [{ node: { name: 'film_ratings' }, matched: 'film_ratings', … }]
 * ```
 */
export function searchIndex(nodes: readonly Omit<LineageNode, 'compiledSql'>[]): (query: string, limit?: number) => SearchHit[] {
  const entries: Entry[] = nodes.map((node) => ({
    node: { id: node.id, name: node.name, kind: node.kind },
    fields: [
      { text: node.name, lower: node.name.toLowerCase(), label: node.name, weight: 3 },
      ...node.tags.map((tag) => ({ text: tag, lower: tag.toLowerCase(), label: `tag: ${tag}`, weight: 2 })),
      ...node.columns.map((column) => ({ text: column.name, lower: column.name.toLowerCase(), label: `column: ${column.name}`, weight: 1, column: column.name })),
      // `film_ratings.title`: a column by its node (only for queries with a dot)
      ...node.columns.map((column) => ({ text: `${node.name}.${column.name}`, lower: `${node.name}.${column.name}`.toLowerCase(), label: `column: ${column.name}`, weight: 3, column: column.name, dotted: true })),
    ],
  }))
  return (query, limit = 20) => {
    const q = query.trim().toLowerCase()
    if (!q) return []
    const dotted = q.includes('.')
    const hits: SearchHit[] = []
    for (const entry of entries) {
      let best: SearchHit | undefined
      for (const field of entry.fields) {
        if (field.dotted && !dotted) continue
        const score = fuzzyScore(q, field.lower)
        if (score > 0 && (!best || score * field.weight > best.score)) best = { node: entry.node, matched: field.label, ...(field.column ? { column: field.column } : {}), score: score * field.weight }
      }
      if (best) hits.push(best)
    }
    hits.sort((a, b) => b.score - a.score || a.node.name.length - b.node.name.length || a.node.name.localeCompare(b.node.name))
    return hits.slice(0, limit)
  }
}

/** 0 when `query` is not a subsequence of `text`; higher for tighter matches. */
export function fuzzyScore(query: string, text: string): number {
  if (text === query) return 100
  const at = text.indexOf(query)
  if (at === 0) return 80 - Math.min(20, text.length - query.length) / 2
  if (at > 0) return 60 - Math.min(20, at) / 2
  let score = 0
  let run = 0
  let position = 0
  for (const char of query) {
    const found = text.indexOf(char, position)
    if (found === -1) return 0
    run = found === position ? run + 1 : 0
    const wordStart = found === 0 || text[found - 1] === '_' || text[found - 1] === '.'
    score += 1 + run + (wordStart ? 2 : 0)
    position = found + 1
  }
  return Math.min(40, (score / query.length) * 8)
}
