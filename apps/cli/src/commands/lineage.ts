import { EltError, ExitCode } from '@elt/core'
import type { Command } from '../command.ts'
import { wholeNumberOption } from '../options.ts'

/**
 * `pnpm elt lineage <model>.<column> [--downstream] [--depth n]`: where a column comes from (back to
 * the raw table and the source it is loaded from), or with --downstream what uses it.
 * `--format openlineage` prints OpenLineage run events instead (one JSON line per model). No database needed.
 */
export const lineageCommand: Command = {
  name: 'lineage',
  summary: 'Show where a column comes from (or, with --downstream, what uses it), from the models\' own queries.',
  args: '<model>.<column> | <schema>.<table>.<column>',
  options: {
    downstream: { type: 'boolean', description: 'the models and columns that use it (impact), instead of its inputs' },
    depth: { type: 'string', valueName: 'n', description: 'hops to follow (default all)' },
    format: { type: 'string', valueName: 'text|json|openlineage', description: 'text (a tree, default), json (same as --json), openlineage (run events with the columnLineage facet, one per line)' },
    target: { type: 'string', short: 't', valueName: 'name', description: 'target whose relations the events name (default: defaultTarget)' },
  },
  async run(context, parsed) {
    // Loaded on use, so `elt --help` and the other commands start fast.
    const { buildManifest, ColumnGraph, columnPath, downstreamTree, openLineageEvents, parseColumnRef, upstreamTree } = await import('@elt/runner')
    const { planModels } = await import('../tasks/build-task.ts')
    const format = (parsed.values.format as string | undefined) ?? (context.json ? 'json' : 'text')
    if (!['text', 'json', 'openlineage'].includes(format)) {
      throw new EltError(`--format must be text, json or openlineage, got "${format}".`, { exitCode: ExitCode.usage })
    }
    const depth = wholeNumberOption(parsed.values.depth, 'depth', 1)
    const [text, ...extra] = parsed.positionals
    if (extra.length) throw new EltError(`lineage takes one column, got ${parsed.positionals.length}.`, { hint: 'e.g. pnpm elt lineage film_ratings.title', exitCode: ExitCode.usage })
    if (text === undefined && format !== 'openlineage') {
      throw new EltError('Which column? lineage needs <model>.<column> or <schema>.<table>.<column>.', {
        hint: 'e.g. pnpm elt lineage film_ratings.avg_actor_rating, pnpm elt lineage raw.films.user_rating --downstream',
        exitCode: ExitCode.usage,
      })
    }
    const plan = await planModels(context, { values: { target: parsed.values.target }, positionals: [] })
    const manifest = buildManifest(plan.project, plan.graph, plan.compiled, plan.target, [], plan.sources, plan.lineage)
    const graph = ColumnGraph.fromManifest(manifest)
    const ref = text === undefined ? undefined : parseColumnRef(text, graph, (id) => id in manifest.nodes)
    if (format === 'openlineage') {
      const onPath = ref ? new Set(columnPath(graph, ref).columns.map((c) => c.node)) : undefined
      const models = onPath ? Object.keys(manifest.nodes).filter((id) => onPath.has(id)) : undefined
      const events = openLineageEvents(manifest, { namespace: context.config.openlineage?.namespace ?? 'elt', ...(models ? { models } : {}) })
      context.io.stdout.write(events.map((event) => JSON.stringify(event) + '\n').join(''))
      return ExitCode.success
    }
    const { renderLineageTree } = await import('../output/lineage-tree.ts')
    const downstream = parsed.values.downstream === true
    const options = depth === undefined ? {} : { depth }
    const tree = downstream ? downstreamTree(graph, ref!, options) : upstreamTree(graph, ref!, { ...options, loaderOf: (id) => manifest.nodes[id]?.loader })
    const result = { column: ref, direction: downstream ? 'down' : 'up', tree }
    if (format === 'json') context.io.stdout.write(JSON.stringify(result, null, 2) + '\n')
    else context.output({ json: result, text: renderLineageTree(tree, downstream ? '→' : '←') })
    return ExitCode.success
  },
}
