import path from 'node:path'
import { ExitCode } from '@elt/core'
import type { Command } from '../command.ts'
import { selectionOptions } from '../options.ts'

/** `pnpm elt compile [--select …]`: prints each selected model's SQL and writes target/manifest.json. No database needed. */
export const compileCommand: Command = {
  name: 'compile',
  summary: "Compile the models to SQL (checking every table they read is declared) and print it; writes target/manifest.json.",
  args: '[selector…]',
  options: { ...selectionOptions },
  async run(context, parsed) {
    // Loaded on use, so `elt --help` and the other commands start fast.
    const { buildManifest, writeArtifact } = await import('@elt/runner')
    const { planModels } = await import('../tasks/build-task.ts')
    const plan = await planModels(context, parsed)
    const manifest = buildManifest(plan.project, plan.graph, plan.compiled, plan.target, [], plan.sources, plan.lineage)
    await writeArtifact(path.join(context.projectDir, 'target'), 'manifest.json', manifest)
    const models = plan.selected
      .filter((id) => plan.project.models.has(id))
      .map((id) => {
        const node = manifest.nodes[id]!
        return { id, name: node.name, materialized: node.materialized, relation: node.relation, sql: node.sql }
      })
    const text = models.map((m) => `-- ${m.name} (${m.materialized}${m.relation ? ` → ${m.relation}` : ''})\n${m.sql};\n`).join('\n')
    context.output({ json: { target: plan.target, models }, text })
    return ExitCode.success
  },
}
