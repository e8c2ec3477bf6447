/**
 * One row in COPY's text format: fields separated by tabs, `\N` for NULL, backslash, newline,
 * carriage return and tab escaped, a newline at the end.
 *
 * ```ts
 * copyTextRow(['1', 'a\tb', null]) // '1\ta\\tb\t\\N\n'
 * ```
 */
export function copyTextRow(values: readonly (string | null)[]): string {
  let row = ''
  for (let i = 0; i < values.length; i++) {
    const value = values[i]
    if (i > 0) row += '\t'
    row += value === null || value === undefined ? '\\N' : /[\\\n\r\t]/.test(value) ? value.replace(/[\\\n\r\t]/g, escape) : value
  }
  return row + '\n'
}

const escapes: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' }
const escape = (c: string) => escapes[c] ?? c
