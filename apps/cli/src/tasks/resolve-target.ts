import os from 'node:os'
import { EltError, ExitCode } from '@elt/core'
import type { BuildTarget } from '@elt/runner'
import type { CommandContext } from '../context.ts'

/** The target's schema: `{user}` becomes the OS user name (lower case, letters/digits/underscores). */
export function resolveTarget(context: CommandContext, name?: string): BuildTarget {
  const targets = context.config.targets
  const chosen = name ?? context.config.defaultTarget ?? 'prod'
  const spec = targets[chosen]
  if (!spec) {
    throw new EltError(`Unknown target "${chosen}".`, {
      hint: `Use one of: ${Object.keys(targets).join(', ')} (targets in elt.config.ts).`,
      exitCode: ExitCode.usage,
    })
  }
  const user = (context.io.env.USER || os.userInfo().username || 'dev').toLowerCase().replace(/[^a-z0-9_]/g, '_')
  return { name: chosen, schema: spec.schema.replaceAll('{user}', user) }
}

/**
 * The schema that names the project's pipeline in its destination: the `prod` target's schema
 * (else the default target's). Every writing run of the project (replicate, extract, load, and
 * build/run into that target) holds the write lock of this name, so a replicate never swaps raw
 * tables under a running build. Advisory locks are per database, so the lock is per destination
 * database + pipeline.
 *
 * ```ts
 * pipelineSchema(context) // → 'analytics' (targets: { prod: { schema: 'analytics' }, dev: … })
 * ```
 */
export function pipelineSchema(context: CommandContext): string {
  return resolveTarget(context, context.config.targets.prod ? 'prod' : undefined).schema
}
