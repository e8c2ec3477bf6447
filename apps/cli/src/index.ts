export { runCli } from './cli.ts'
export type { Command, ParsedArgs } from './command.ts'
export type { CommandContext } from './context.ts'
export type { CliIo } from './io.ts'
