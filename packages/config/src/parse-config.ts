import path from 'node:path'
import { EltError, ExitCode } from '@elt/core'
import { eltConfigSchema, type ResolvedConfig } from './elt-config-schema.ts'
import { formatConfigIssues } from './format-config-issues.ts'

/**
 * Validates a config object (the default export of a config file, or one built in code) and
 * resolves it: defaults filled in, relative paths made absolute against `dir` (the config
 * file's folder). Every problem is reported at once, as a usage error (exit 2).
 *
 * ```ts
 * parseConfig({ replicate: { jobs: 'four' }, replicat: {} }, { dir: '/repo', file: '/repo/elt.config.ts' })
 * // throws EltError (exit 2):
 * // Invalid config in /repo/elt.config.ts:
 * //   replicate.jobs: expected a whole number ≥ 1, got "four"
 * //   replicat: unknown key (did you mean "replicate"?)
 * ```
 */
export function parseConfig(value: unknown, options: { dir: string; file?: string }): ResolvedConfig {
  const result = eltConfigSchema.safeParse(value, { reportInput: true })
  if (!result.success) {
    const lines = formatConfigIssues(result.error.issues).map((line) => `  ${line}`)
    throw new EltError(`Invalid config${options.file ? ` in ${options.file}` : ''}:\n${lines.join('\n')}\nEvery key and its values are listed under Configuration in README.md.`, { exitCode: ExitCode.usage })
  }
  const config = result.data
  return { ...config, models: { ...config.models, project: path.resolve(options.dir, config.models.project) } }
}
