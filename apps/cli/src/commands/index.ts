import type { Command } from '../command.ts'
import { runCommand } from './run.ts'
import { replicateCommand } from './replicate.ts'
import { extractCommand } from './extract.ts'
import { loadCommand } from './load.ts'
import { buildCommand } from './build.ts'
import { compileCommand } from './compile.ts'
import { lsCommand } from './ls.ts'
import { lineageCommand } from './lineage.ts'
import { diffCommand } from './diff.ts'
import { codegenCommand } from './codegen.ts'
import { testCommand } from './test.ts'
import { serveCommand } from './serve.ts'
import { backfillCommand } from './backfill.ts'
import { cdcCommand } from './cdc.ts'

/** Every verb of the CLI, in the order `--help` lists them. One module per command. */
export const commands: Command[] = [runCommand, replicateCommand, extractCommand, loadCommand, buildCommand, compileCommand, lsCommand, lineageCommand, diffCommand, codegenCommand, testCommand, serveCommand, backfillCommand, cdcCommand]
