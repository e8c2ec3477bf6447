import { EltError, ExitCode } from '@elt/core'

/** One selection criterion, as dbt's node selection syntax spells it (`2+tag:staging+1`, `@stg_films`). */
export interface SelectionCriterion {
  /** `name` (bare), `tag`, `source`, `model`, or an extension method (e.g. `test_type`). */
  method: string
  /** The pattern (`globMatcher` of @elt/core): `*` matches any run of characters, `?` one character. */
  value: string
  /** Ancestors to add: 0 none, n hops, Infinity all (`+x`, `2+x`). */
  parents: number
  /** Descendants to add (`x+`, `x+1`). */
  children: number
  /** `@x`: x, its descendants, and every ancestor of those descendants. */
  childrenParents: boolean
  /** The text it was parsed from, for error messages. */
  raw: string
}

/** A union of intersections: `a b` → [[a], [b]]; `a,b c` → [[a, b], [c]]. */
export type SelectionExpression = SelectionCriterion[][]

const criterionPattern = /^(@)?(?:(\d*)\+)?([^+@]+?)(?:\+(\d*))?$/

/**
 * Parses dbt-style selectors. Several arguments and space-separated words are a union;
 * commas inside one word intersect.
 *
 * ```ts
 * parseSelectors(['2+film_ratings+1 tag:staging'])
 * // [[{ method: 'name', value: 'film_ratings', parents: 2, children: 1, … }], [{ method: 'tag', value: 'staging', … }]]
 * ```
 */
export function parseSelectors(selectors: readonly string[], methods: readonly string[]): SelectionExpression {
  const words = selectors.flatMap((s) => s.split(/\s+/)).filter(Boolean)
  return words.map((word) => word.split(',').filter(Boolean).map((part) => parseCriterion(part, methods)))
}

function parseCriterion(text: string, methods: readonly string[]): SelectionCriterion {
  const match = criterionPattern.exec(text)
  if (!match) throw badSelector(text, 'it does not have the shape [@][n+]method:value[+n]')
  const [, at, up, body, down] = match
  if (at && up !== undefined) throw badSelector(text, '"@" cannot be combined with a leading "+"')
  const colon = body!.indexOf(':')
  const method = colon === -1 ? 'name' : body!.slice(0, colon)
  const value = colon === -1 ? body! : body!.slice(colon + 1)
  if (!methods.includes(method)) throw badSelector(text, `unknown method "${method}" (known: ${methods.join(', ')})`)
  if (!value) throw badSelector(text, 'the value after the method is empty')
  return {
    method,
    value,
    parents: up === undefined ? 0 : up === '' ? Infinity : Number(up),
    children: down === undefined ? 0 : down === '' ? Infinity : Number(down),
    childrenParents: at === '@',
    raw: text,
  }
}

function badSelector(text: string, why: string): EltError {
  return new EltError(`Invalid selector "${text}": ${why}.`, {
    hint: 'Examples: stg_films, +film_ratings, film_ratings+, 2+film_ratings+1, @stg_films, tag:staging, source:raw.films+, column:raw.films.user_rating+, source_status:fresher+.',
    exitCode: ExitCode.usage,
  })
}
