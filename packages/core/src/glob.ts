/**
 * Shell-style name patterns, as in dbt selectors and the replicate include/exclude lists:
 * `*` matches any run of characters (none included), `?` exactly one character, and every other
 * character only itself (`.`, `+`, `(`, `[` … are literal). The whole text must match.
 *
 * ```ts
 * globMatcher('film_?')('film_a') // true
 * globMatcher('stg_*')('stg_films') // true
 * globMatcher('a.b')('axb') // false: `.` is literal
 * ```
 */
export function globMatcher(pattern: string): (text: string) => boolean {
  if (!isGlob(pattern)) return (text) => text === pattern
  const source = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/, '\\$&'))).join('')
  // `s`: `?` and `*` also match a newline; `u`: `?` matches one character, not one UTF-16 half.
  const regex = new RegExp(`^${source}$`, 'su')
  return (text) => regex.test(text)
}

/** Whether a pattern has a wildcard (`*` or `?`); one without names exactly one thing. */
export function isGlob(pattern: string): boolean {
  return /[*?]/.test(pattern)
}
