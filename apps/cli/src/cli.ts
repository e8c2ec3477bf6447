import { parseArgs } from 'node:util'
import { loadConfig } from '@elt/config'
import { describeError, EltError, ExitCode, exitCodeOf, setRunOrigin } from '@elt/core'
import { commonOptions, type Command } from './command.ts'
import { commands } from './commands/index.ts'
import { createContext } from './context.ts'
import { renderCommandHelp, renderOverview } from './help.ts'
import type { CliIo } from './io.ts'
import cliPackage from '../package.json' with { type: 'json' }

/**
 * Runs one CLI invocation and returns its exit code. Nothing here calls `process.exit`,
 * so tests can run commands in-process.
 */
export async function runCli(argv: readonly string[], io: CliIo, registry: readonly Command[] = commands): Promise<number> {
  const args = argv[0] === 'models' ? argv.slice(1) : [...argv]
  const name = args[0]
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(renderOverview(registry) + '\n')
    return name === undefined ? ExitCode.usage : ExitCode.success
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`elt ${cliPackage.version} (Node.js ${process.version})\n`)
    return ExitCode.success
  }
  const command = registry.find((c) => c.name === name)
  if (!command) {
    io.stderr.write(`error: unknown command "${name}". Commands: ${registry.map((c) => c.name).join(', ')}.\n`)
    return ExitCode.usage
  }

  const releases: (() => Promise<void>)[] = []
  const controller = new AbortController()
  // First Ctrl-C: cancel running statements and record the run as cancelled. A second one quits at once.
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130)
    io.stderr.write('cancelling… (press Ctrl-C again to quit at once)\n')
    controller.abort(new EltError('Cancelled by the user (Ctrl-C).'))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    let parsed: ReturnType<typeof parseArgs>
    try {
      parsed = parseArgs({ args: args.slice(1), options: { ...command.options, ...commonOptions }, allowPositionals: true, strict: true })
    } catch (error) {
      throw new EltError(`${describeError(error)}.`, { hint: `Run \`pnpm elt ${command.name} --help\` for its options.`, exitCode: ExitCode.usage })
    }
    if (parsed.values.help) {
      io.stdout.write(renderCommandHelp(command) + '\n')
      return ExitCode.success
    }
    const { config, projectDir } = await loadConfig(io.cwd, parsed.values.config as string | undefined, io.invokedFrom)
    setRunOrigin(runOrigin(io.env))
    const context = createContext({
      io,
      config,
      projectDir,
      json: parsed.values.json === true,
      verbose: parsed.values.verbose === true,
      signal: controller.signal,
      onRelease: (release) => releases.push(release),
    })
    return await command.run(context, { values: parsed.values, positionals: parsed.positionals })
  } catch (error) {
    io.stderr.write(`error: ${describeError(error)}\n`)
    if (io.env.ELT_LOG_LEVEL === 'debug' && error instanceof Error && error.stack) io.stderr.write(error.stack + '\n')
    return exitCodeOf(error)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    setRunOrigin({})
    for (const release of releases.reverse()) await release().catch(() => {})
  }
}

/**
 * `ELT_RUN_ID` / `ELT_STARTED_BY`: set by `elt serve` on the CLI processes it starts, so the run
 * it queued under an id is recorded under that id, with what started it (`schedule nightly`).
 */
function runOrigin(env: NodeJS.ProcessEnv): { runId?: string; startedBy?: string } {
  const runId = env.ELT_RUN_ID || undefined
  if (runId !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(runId)) {
    throw new EltError(`ELT_RUN_ID must be a UUID, got "${runId}".`, { hint: 'Unset it: elt serve sets it on the runs it starts.', exitCode: ExitCode.usage })
  }
  return { runId, startedBy: env.ELT_STARTED_BY || undefined }
}
