import { ExitCode } from '@elt/core'
import type { Command } from '../command.ts'
import { selectionOptions } from '../options.ts'
import { renderTable } from '../output/format.ts'

/** `pnpm elt ls [--select …]`: the selected nodes in dependency order. No database needed. */
export const lsCommand: Command = {
  name: 'ls',
  summary: 'List the selected sources and models in dependency order.',
  args: '[selector…]',
  options: { ...selectionOptions },
  async run(context, parsed) {
    // Loaded on use, so `elt --help` and the other commands start fast.
    const { planModels } = await import('../tasks/build-task.ts')
    const plan = await planModels(context, parsed)
    const nodes = plan.selected.map((id) => {
      const relation = plan.graph.getNodeAttribute(id, 'relation')
      const compiled = plan.compiled.get(id)!
      const loader = relation.kind === 'source' ? plan.sources?.loaderOf(relation.schema, relation.name) : undefined
      return {
        id,
        kind: relation.kind,
        name: relation.name,
        materialized: relation.kind === 'model' ? relation.materialized : null,
        relation: relation.kind === 'model' && relation.materialized === 'ephemeral' ? null : `${compiled.relation.schema}.${compiled.relation.name}`,
        tags: [...relation.tags],
        parents: plan.graph.inNeighbors(id).sort(),
        // the configured source that loads a source table: { source, kind, from }
        ...(loader ? { loader } : {}),
      }
    })
    const text = renderTable([
      ['id', 'materialized', 'relation', 'tags'],
      ...nodes.map((n) => [n.id, n.materialized ?? n.kind, n.relation ?? '(inlined)', n.tags.join(',')]),
    ])
    context.output({ json: { target: plan.target, nodes }, text })
    return ExitCode.success
  },
}
