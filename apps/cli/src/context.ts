import type { ResolvedConfig } from '@elt/config'
import {
  createLogger,
  readEnvironment,
  resolveDatabases,
  passwordOf,
  type Databases,
  type EltEnvironment,
  type Logger,
} from '@elt/core'
import type { CliIo } from './io.ts'
import { cdcTablesBySource } from './tasks/cdc-tables.ts'

/** What every command gets: config and environment read once here, passed down explicitly. */
export interface CommandContext {
  io: CliIo
  env: EltEnvironment
  config: ResolvedConfig
  projectDir: string
  logger: Logger
  json: boolean
  /** Aborted on Ctrl-C (SIGINT/SIGTERM). */
  signal: AbortSignal
  /** The source and destination (starting the embedded default if needed); released when the command ends. */
  databases(): Promise<Databases>
  /** Prints the command's result: JSON when `--json`, else the human text. */
  output(result: { json: unknown; text: string }): void
}

export function createContext(options: {
  io: CliIo
  config: ResolvedConfig
  projectDir: string
  json: boolean
  verbose: boolean
  signal: AbortSignal
  onRelease: (release: () => Promise<void>) => void
}): CommandContext {
  const env = readEnvironment(options.io.env)
  const secrets: (string | undefined)[] = [passwordOf(env.sourceUrl ?? ''), passwordOf(env.destinationUrl ?? '')]
  const logger = createLogger({
    level: options.verbose || options.io.env.ELT_LOG_LEVEL === 'debug' ? 'debug' : 'info',
    secrets,
    write: (line) => options.io.stderr.write(line + '\n'),
  })
  let databases: Promise<Databases> | undefined
  return {
    io: options.io,
    env,
    config: options.config,
    projectDir: options.projectDir,
    logger,
    json: options.json,
    signal: options.signal,
    databases() {
      databases ??= resolveDatabases(env, {
        projectDir: options.projectDir,
        logger,
        // a project of CSV files or exports alone needs no source database (postgres sources without a url read it): no seed file then
        sourceDatabaseUnused: !Object.values(options.config.sources).some((s) => s.kind === 'postgres' && !s.url),
        ...(cdcTablesBySource(options.config.sources).length > 0 ? { walLevel: 'logical' as const } : {}),
      }).then((dbs) => {
        secrets.push(passwordOf(dbs.source.url), passwordOf(dbs.destination.url))
        options.onRelease(() => dbs.release())
        return dbs
      })
      return databases
    },
    output({ json, text }) {
      if (options.json) options.io.stdout.write(JSON.stringify(json, null, 2) + '\n')
      else if (text) options.io.stdout.write(text.endsWith('\n') ? text : text + '\n')
    },
  }
}
