import { redactSecrets } from '@elt/core'
import type { z } from 'zod'

/**
 * One line per problem: the field's path, what is expected and what was given.
 * Issues must come from a parse with `reportInput: true` (so each carries the value received).
 *
 * ```ts
 * formatConfigIssues(issues)
 * // → ['replicate.jobs: expected a whole number ≥ 1, got "four"',
 * //    'replicat: unknown key (did you mean "replicate"?)']
 * ```
 */
export function formatConfigIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      // configSection writes one line per key, in the order of `issue.keys`
      const lines = issue.message.split('\n')
      return issue.keys.map((key, i) => `${fieldPath([...issue.path, key])}: ${lines[i] ?? 'unknown key'}`)
    }
    return [`${fieldPath(issue.path)}: expected ${issue.message}, got ${describeValue(issue.input)}`]
  })
}

/** `['replicate', 'include', 1]` → `replicate.include[1]`; odd keys quoted: `targets["my target"]`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'the config'
  return path
    .map((key, i) => {
      if (typeof key === 'number') return `[${key}]`
      const name = String(key)
      if (/^[A-Za-z_$][\w$]*$/.test(name)) return i === 0 ? name : `.${name}`
      return `[${JSON.stringify(name)}]`
    })
    .join('')
}

/** A received value as it would be written in the config (shortened, URL passwords hidden). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'symbol') return value.toString()
  let text: string
  try {
    text = JSON.stringify(value) ?? String(value)
  } catch {
    text = String(value)
  }
  text = redactSecrets(text)
  return text.length > 80 ? `${text.slice(0, 77)}…` : text
}
