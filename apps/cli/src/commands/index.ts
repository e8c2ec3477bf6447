import type { Command } from '../command.ts'

/** Every verb of the CLI, in the order `--help` lists them. One module per command. */
export const commands: Command[] = []
