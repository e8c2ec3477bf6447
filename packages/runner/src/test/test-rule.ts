import { EltError, ExitCode } from '@elt/core'
import type { TestOptions } from '../define/data-test.ts'
import { defaultThreshold, parseThreshold } from './threshold.ts'

/** Default number of failing rows kept in `_elt_audit` per failing test. */
export const defaultSampleSize = 100

/** Severity, thresholds, tags and sample size of a test, checked before anything runs. */
export function ruleOf(options: Omit<TestOptions<any>, 'where' | 'name'>, id: string, defaultSample: number) {
  const sampleSize = options.storeFailures === false ? 0 : (options.sampleSize ?? defaultSample)
  if (!Number.isInteger(sampleSize) || sampleSize < 0) throw new EltError(`Test ${id} has sampleSize ${String(options.sampleSize)}.`, { hint: 'Use a whole number ≥ 0 (0 keeps no failing rows).', exitCode: ExitCode.usage })
  const severity = options.severity ?? 'error'
  if (severity !== 'error' && severity !== 'warn') throw new EltError(`Test ${id} has severity "${String(severity)}".`, { hint: "Use 'error' or 'warn'.", exitCode: ExitCode.usage })
  const warnIf = options.warnIf ?? defaultThreshold
  const errorIf = options.errorIf ?? defaultThreshold
  parseThreshold(warnIf, id)
  parseThreshold(errorIf, id)
  return { severity, warnIf, errorIf, tags: [...(options.tags ?? [])], sampleSize }
}
