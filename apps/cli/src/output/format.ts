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

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}

export function formatSeconds(seconds: number): string {
  return seconds < 10 ? `${seconds.toFixed(2)} s` : `${seconds.toFixed(1)} s`
}
