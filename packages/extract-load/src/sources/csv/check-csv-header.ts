import { EltError } from '@elt/core'

/** PostgreSQL truncates longer identifiers (NAMEDATALEN − 1 bytes), so two long names could become one. */
const maxIdentifierBytes = 63

/**
 * Checks a header row's names before they become column names (used exactly as written, quoted):
 * none empty, none repeated, none longer than PostgreSQL keeps, no NUL character.
 *
 * ```ts
 * checkCsvHeader(['id', 'name', 'id'], 'data/a.csv')
 * // EltError: data/a.csv: header column 3 "id" repeats column 1. …
 * ```
 */
export function checkCsvHeader(names: readonly string[], file: string): void {
  const hint = 'Give every column of the header row a distinct name (it becomes the column name in the destination), then load again.'
  if (names.length === 0) throw new EltError(`${file}: the file is empty; a CSV source needs a header row naming its columns.`, { hint })
  const seen = new Map<string, number>()
  names.forEach((name, i) => {
    if (name.trim() === '') throw new EltError(`${file}: header column ${i + 1} has no name.`, { hint })
    if (name.includes('\u0000')) throw new EltError(`${file}: header column ${i + 1} contains a NUL character.`, { hint })
    if (Buffer.byteLength(name) > maxIdentifierBytes) {
      throw new EltError(`${file}: header column ${i + 1} "${name.slice(0, 40)}…" is longer than PostgreSQL's ${maxIdentifierBytes}-byte identifiers.`, { hint })
    }
    const first = seen.get(name)
    if (first !== undefined) throw new EltError(`${file}: header column ${i + 1} "${name}" repeats column ${first + 1}.`, { hint })
    seen.set(name, i)
  })
}
