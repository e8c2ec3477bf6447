/** `renderTable([['table','rows'],['raw.films','120']])` → aligned columns, numbers right-aligned. */
export function renderTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)))
  const numeric = (s: string) => /^-?[\d,.]+( ?[a-zA-Z/]+)?$/.test(s)
  return rows
    .map((row, r) =>
      row
        .map((cell, i) => {
          const pad = (widths[i] ?? 0) - [...cell].length
          return r > 0 && numeric(cell) ? ' '.repeat(pad) + cell : cell + ' '.repeat(pad)
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

/**
 * Bytes in decimal units, whole bytes below 1 kB, one decimal above:
 * `formatBytes(411.7647)` → `412 B`, `formatBytes(9027)` → `9.0 kB`, `formatBytes(999_960)` → `1.0 MB`.
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let value = bytes
  for (let unit = 0; ; unit++) {
    const text = unit === 0 ? String(Math.round(value)) : value.toFixed(1)
    // Rounding can reach the next unit (999.96 kB → "1000.0"): go on to it.
    if (Math.abs(Number(text)) < 1000 || unit === units.length - 1) return `${text} ${units[unit]}`
    value /= 1000
  }
}

/** A transfer rate, or nothing before any time has passed: `formatRate(7000, 17)` → `412 B/s`. */
export function formatRate(bytes: number, seconds: number): string | undefined {
  return seconds > 0 ? `${formatBytes(bytes / seconds)}/s` : undefined
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}

export function formatSeconds(seconds: number): string {
  return seconds < 10 ? `${seconds.toFixed(2)} s` : `${seconds.toFixed(1)} s`
}
