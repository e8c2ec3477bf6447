import type { ParseArgsConfig } from 'node:util'
import type { CommandContext } from './context.ts'

export type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & { description: string; valueName?: string }

/**
 * One CLI verb. `run` returns the exit code; errors it throws are printed as one
 * paragraph (see `describeError`) with their own exit code.
 */
export interface Command {
  name: string
  summary: string
  /** Positional arguments shown in help, e.g. `[selector…]`. */
  args?: string
  options: Record<string, OptionSpec>
  run(context: CommandContext, parsed: ParsedArgs): Promise<number>
}

export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>
  positionals: string[]
}

/** Options every command accepts. */
export const commonOptions: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'print only a JSON summary on stdout (logs go to stderr)' },
  config: { type: 'string', valueName: 'file', description: 'config file: .ts, .mjs, .js or .json (default: elt.config.ts, .mjs, .js or .json in the folder you run it in, else the workspace root)' },
  verbose: { type: 'boolean', short: 'v', description: 'debug logging on stderr' },
  help: { type: 'boolean', short: 'h', description: 'show help for this command' },
}
