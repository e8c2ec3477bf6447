import type { LineageTree } from '@elt/runner'

/** `model.film_ratings` → `film_ratings`, `source.raw.films` → `raw.films`. */
export const displayNode = (id: string) => id.replace(/^(model|source)\./, '')

function label(tree: LineageTree, arrow: string): string {
  if (tree.kind === 'opaque') return `? opaque SQL in ${displayNode(tree.node)}: ${tree.sql}`
  if (tree.kind === 'filter') return `▽ filters ${displayNode(tree.node)} (${(tree.clause ?? 'where').replace('_', ' ')})`
  const how = tree.kind ? ` (${tree.kind}${tree.via ? `, ${tree.via}` : ''})` : ''
  const origin = tree.origin ? `  ⇐ ${tree.origin.source} (${tree.origin.kind}): ${tree.origin.from}${tree.origin.kind === 'csv' ? ` column ${tree.origin.column}` : `.${tree.origin.column}`}` : ''
  return `${tree.kind ? `${arrow} ` : ''}${displayNode(tree.node)}.${tree.column}${how}${origin}`
}

/**
 * A lineage tree as terminal lines, `←` for inputs (upstream) and `→` for uses (downstream):
 *
 * ```text
 * film_ratings.title
 * └─ ← stg_films.title (direct)
 *    └─ ← raw.films.title (direct)  ⇐ postgres (postgres): public.films.title
 * ```
 */
export function renderLineageTree(tree: LineageTree, arrow: '←' | '→'): string {
  const lines = [label(tree, arrow)]
  const walk = (node: LineageTree, prefix: string) => {
    node.children.forEach((child, i) => {
      const last = i === node.children.length - 1
      lines.push(`${prefix}${last ? '└─ ' : '├─ '}${label(child, arrow)}`)
      walk(child, `${prefix}${last ? '   ' : '│  '}`)
    })
  }
  walk(tree, '')
  if (tree.children.length === 0) lines.push(arrow === '←' ? '(no input columns: a constant, or count(*))' : '(no model uses it)')
  return lines.join('\n')
}
