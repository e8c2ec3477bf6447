import { EltError, ExitCode } from '@elt/core'
import type { OptionSpec } from './command.ts'

/**
 * A whole-number option (`--jobs 4`, `--threads 8`, `--sample-size 0`): `undefined` when absent,
 * a usage error (exit 2) naming the option when it is not a whole number ≥ `min`.
 */
export function wholeNumberOption(value: unknown, name: string, min: number): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (typeof value !== 'string' || value.trim() === '' || !Number.isInteger(n) || n < min) {
    throw new EltError(`--${name} must be a whole number ≥ ${min}, got "${String(value)}".`, { exitCode: ExitCode.usage })
  }
  return n
}

/** Options of the replication step (`replicate`, `run`). */
export const replicationOptions: Record<string, OptionSpec> = {
  jobs: { type: 'string', short: 'j', valueName: 'n', description: 'tables copied in parallel (default: replicate.jobs of the config, else the number of cores)' },
  verify: { type: 'boolean', description: 'also compare a content hash of every table, source vs destination' },
  fresh: { type: 'boolean', description: 'copy every table again, even those an interrupted run finished' },
}

/** `--wait`: shared by the commands that write (`replicate`, `extract`, `load`, `build`, `run`). */
export const waitOption: Record<string, OptionSpec> = {
  wait: { type: 'boolean', description: 'when another run is writing the target, wait for it to end (default: exit 1 naming it)' },
}

/** Options of the build step (`build`, `run`). */
export const buildOptions: Record<string, OptionSpec> = {
  threads: { type: 'string', valueName: 'n', description: 'models built at the same time (default 4)' },
  'full-refresh': { type: 'boolean', description: 'rebuild incremental models from scratch (run: also copy every source table whole and start cursor marks over)' },
  ...waitOption,
}

/** `--select`, `--exclude`, `--target`: shared by build, compile, ls (and test/run). */
export const selectionOptions: Record<string, OptionSpec> = {
  select: { type: 'string', short: 's', multiple: true, valueName: 'selector', description: "nodes to use, dbt syntax: name, +name, name+, 2+name+1, @name, tag:x, source:raw.films+, source:<configured source>[.<table>]+, column:raw.films.user_rating+ (repeatable; spaces = union)" },
  exclude: { type: 'string', multiple: true, valueName: 'selector', description: 'nodes to leave out (same syntax)' },
  target: { type: 'string', short: 't', valueName: 'name', description: 'target to build into: prod (analytics) or dev (analytics_<user>); see targets in elt.config.ts' },
}

/** `--sample-size`: shared by `test` (and `build`/`run` when they run tests). */
export const sampleOption: Record<string, OptionSpec> = {
  'sample-size': {
    type: 'string',
    valueName: 'n',
    description: 'failing rows kept per failing test in _elt_audit (default 100; 0 keeps none; a test\'s own sampleSize wins)',
  },
}
