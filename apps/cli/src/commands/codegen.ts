import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { EltError, ExitCode, withWatchedClient } from '@elt/core'
import type { Command } from '../command.ts'
import { rawSchemaModule } from '../config/raw-columns.ts'

/** `pnpm elt codegen [--schema raw] [--out file]`: row types of the destination's raw tables, as kysely-codegen writes them. */
export const codegenCommand: Command = {
  name: 'codegen',
  summary: "Generate the TypeScript row types of the destination's raw tables (packages/models/src/generated/raw-schema.ts).",
  options: {
    schema: { type: 'string', valueName: 'name', description: 'schema to read (default: replicate.targetSchema of the config, else raw)' },
    out: { type: 'string', valueName: 'file', description: 'file to write (default packages/models/src/generated/raw-schema.ts)' },
    check: { type: 'boolean', description: 'write nothing; exit 1 if the file differs from what would be generated' },
  },
  async run(context, parsed) {
    // Loaded on use, so `elt --help` and the other commands start fast.
    const { introspectTables, renderRawTypes } = await import('@elt/runner')
    const schema = (parsed.values.schema as string | undefined) ?? context.config.replicate.targetSchema ?? 'raw'
    const out = path.resolve(context.projectDir, (parsed.values.out as string | undefined) ?? rawSchemaModule)
    const databases = await context.databases()
    const found = await withWatchedClient(
      databases.destination,
      { waitSeconds: context.env.connectWaitSeconds, logger: context.logger, applicationName: 'elt-codegen' },
      { what: `reading the tables of schema "${schema}"`, seconds: context.env.stallSeconds, hint: 'Nothing was written: run it again.' },
      (client) => introspectTables(client, schema),
    )
    if (found.length === 0) {
      throw new EltError(`The destination has no tables in schema "${schema}".`, {
        hint: 'Run `pnpm elt replicate` first, or pass --schema with the schema that holds the raw tables.',
        exitCode: ExitCode.failure,
      })
    }
    const text = renderRawTypes(found, { schema, command: 'pnpm elt codegen' })
    const tables = found.map((t) => t.name)
    const relative = path.relative(context.projectDir, out)
    if (parsed.values.check === true) {
      const { readFile } = await import('node:fs/promises')
      const current = await readFile(out, 'utf8').catch(() => '')
      const upToDate = current === text
      context.output({
        json: { file: relative, schema, tables, upToDate },
        text: upToDate ? `${relative} is up to date (${tables.length} tables).` : `${relative} is out of date: run \`pnpm elt codegen\`.`,
      })
      return upToDate ? ExitCode.success : ExitCode.failure
    }
    await mkdir(path.dirname(out), { recursive: true })
    await writeFile(out, text)
    context.output({ json: { file: relative, schema, tables }, text: `Wrote ${relative}: ${tables.length} tables (${tables.join(', ')}).` })
    return ExitCode.success
  },
}
