/**
 * The known name closest to a mistyped one, or `undefined` when none is close enough
 * (edit distance at most a third of the longer name, and at least 1 for short names).
 *
 * ```ts
 * closestName('replicat', ['replicate', 'models', 'targets']) // → 'replicate'
 * closestName('banana', ['replicate', 'models'])              // → undefined
 * ```
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase())
    if (distance <= Math.max(1, Math.floor(Math.max(name.length, candidate.length) / 3)) && (!best || distance < best.distance)) best = { name: candidate, distance }
  }
  return best?.name
}

/** Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b` (optimal string alignment distance). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1)
    }
  }
  return d[a.length]![b.length]!
}
