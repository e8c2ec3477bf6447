import { EltError, ExitCode } from '@elt/core'
import type { Severity, Threshold } from '../define/data-test.ts'

/** A test's outcome: `error` means the test itself could not run (bad SQL, missing table). */
export type TestStatus = 'pass' | 'warn' | 'fail' | 'error'

/** dbt's default for both `warn_if` and `error_if`: any failure counts. */
export const defaultThreshold: Threshold = '!= 0'

const pattern = /^\s*(>=|<=|!=|<>|==|=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$/

/**
 * Checks a threshold's shape before anything runs: `'> 10'` is fine, `'more than 10'` is a usage error.
 */
export function parseThreshold(threshold: string, testId: string): (failures: number) => boolean {
  const match = pattern.exec(threshold)
  if (!match) {
    throw new EltError(`Test ${testId} has an invalid threshold "${threshold}".`, {
      hint: "Write a comparison and a number, e.g. '> 10', '>= 1' or '!= 0'.",
      exitCode: ExitCode.usage,
    })
  }
  const op = match[1] as string
  const limit = Number(match[2])
  switch (op) {
    case '>':
      return (n) => n > limit
    case '>=':
      return (n) => n >= limit
    case '<':
      return (n) => n < limit
    case '<=':
      return (n) => n <= limit
    case '=':
    case '==':
      return (n) => n === limit
    default:
      return (n) => n !== limit
  }
}

/**
 * dbt's rule: with severity `error`, `errorIf` met → `fail`, else `warnIf` met → `warn`, else `pass`;
 * with severity `warn`, only `warnIf` is looked at.
 *
 * ```ts
 * statusOf(12, { severity: 'error', warnIf: '> 0', errorIf: '> 10' }, 'id') // 'fail'
 * statusOf(3, { severity: 'error', warnIf: '> 0', errorIf: '> 10' }, 'id')  // 'warn'
 * ```
 */
export function statusOf(failures: number, rule: { severity: Severity; warnIf: string; errorIf: string }, testId: string): TestStatus {
  if (rule.severity === 'error' && parseThreshold(rule.errorIf, testId)(failures)) return 'fail'
  if (parseThreshold(rule.warnIf, testId)(failures)) return 'warn'
  return 'pass'
}
