import path from 'node:path'
import { EltError, ExitCode } from '@elt/core'
import type { z } from 'zod'
import { eltConfigSchema, type ResolvedConfig, type SourceConfig } from './elt-config-schema.ts'
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
  return {
    ...config,
    models: { ...config.models, project: path.resolve(options.dir, config.models.project) },
    sources: resolveSources(config, options.dir),
    ...(config.stage ? { stage: { ...config.stage, dir: path.resolve(options.dir, config.stage.dir) } } : {}),
  }
}

/** `sources` with defaults: the implicit `postgres` source when none is configured, `raw` as target schema, CSV paths absolute. */
function resolveSources(config: z.output<typeof eltConfigSchema>, dir: string): Record<string, SourceConfig> {
  if (config.sources === undefined) {
    const { schemas, include, exclude, targetSchema, tables } = config.replicate
    return { postgres: { kind: 'postgres', schemas, include, exclude, targetSchema: targetSchema ?? 'raw', ...(tables ? { tables } : {}) } }
  }
  return Object.fromEntries(
    Object.entries(config.sources).map(([name, source]) => {
      const targetSchema = source.targetSchema ?? 'raw'
      return [name, source.kind === 'csv' || source.kind === 'mongodb-export' ? { ...source, targetSchema, path: path.resolve(dir, source.path) } : { ...source, targetSchema }]
    }),
  )
}
