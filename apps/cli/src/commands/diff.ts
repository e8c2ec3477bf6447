import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { EltError, ExitCode } from '@elt/core'
import type { Command } from '../command.ts'

/** `pnpm elt diff --state target-prod/manifest.json`: the models whose column lineage changed since that manifest. No database needed. */
export const diffCommand: Command = {
  name: 'diff',
  summary: 'List the models whose column lineage changed compared with a saved manifest (--state).',
  options: {
    state: { type: 'string', valueName: 'file', description: 'a manifest.json saved from another run (e.g. production\'s target/manifest.json)' },
    target: { type: 'string', short: 't', valueName: 'name', description: 'target to compare as (default: defaultTarget)' },
  },
  async run(context, parsed) {
    const file = parsed.values.state as string | undefined
    if (!file) throw new EltError('diff needs --state <manifest.json> to compare with.', { hint: 'e.g. pnpm elt diff --state target-prod/manifest.json', exitCode: ExitCode.usage })
    const statePath = path.resolve(context.projectDir, file)
    const text = await readFile(statePath, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new EltError(`Cannot read the saved manifest ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}.`, {
        hint: 'Pass the manifest.json a previous compile, build or run wrote (target/manifest.json).',
        exitCode: ExitCode.usage,
      })
    })
    let state: { schema_version?: unknown; nodes?: unknown }
    try {
      state = JSON.parse(text) as typeof state
    } catch {
      throw new EltError(`${file} is not JSON.`, { hint: 'Pass a manifest.json written by pnpm elt compile, build or run.', exitCode: ExitCode.usage })
    }
    if (typeof state.schema_version !== 'number' || typeof state.nodes !== 'object' || state.nodes === null) {
      throw new EltError(`${file} is not a manifest.`, { hint: 'Pass a manifest.json written by pnpm elt compile, build or run.', exitCode: ExitCode.usage })
    }
    if (state.schema_version < 2) {
      throw new EltError(`${file} has manifest schema_version ${state.schema_version}, older than column lineage (2).`, {
        hint: 'Write it again with this version (pnpm elt compile on the state you compare with).',
        exitCode: ExitCode.usage,
      })
    }
    // Loaded on use, so `elt --help` and the other commands start fast.
    const { buildManifest, diffLineage } = await import('@elt/runner')
    const { planModels } = await import('../tasks/build-task.ts')
    const { displayNode } = await import('../output/lineage-tree.ts')
    const plan = await planModels(context, { values: { target: parsed.values.target }, positionals: [] })
    const current = buildManifest(plan.project, plan.graph, plan.compiled, plan.target, [], plan.sources, plan.lineage)
    const changes = diffLineage(state as Parameters<typeof diffLineage>[0], current)
    const dep = (d: { node: string; column: string | null; kind: string }) => `${displayNode(d.node)}.${d.column ?? '?'} ${d.kind}`
    const lines = changes.flatMap((change) => [
      `${change.change === 'added' ? '+' : change.change === 'removed' ? '-' : '~'} ${displayNode(change.node)}`,
      ...change.columns.map(
        (c) => `    ${c.change === 'added' ? '+' : c.change === 'removed' ? '-' : '~'} ${c.column}${c.change === 'modified' ? `: ${[...c.added.map((d) => `+${dep(d)}`), ...c.removed.map((d) => `-${dep(d)}`)].join(', ')}` : ''}`,
      ),
      ...[...change.filters.added.map((d) => `    + filter ${dep(d)} (${d.clause})`), ...change.filters.removed.map((d) => `    - filter ${dep(d)} (${d.clause})`)],
    ])
    context.output({
      json: { state: file, models: changes },
      text: changes.length ? `${changes.length} model(s) with changed column lineage:\n${lines.join('\n')}` : `No model's column lineage changed since ${file}.`,
    })
    return ExitCode.success
  },
}
