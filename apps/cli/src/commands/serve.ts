import path from 'node:path'
import { EltError, ExitCode, passwordOf } from '@elt/core'
import type { Command } from '../command.ts'
import { wholeNumberOption } from '../options.ts'

/**
 * The CLI each run of the service starts: the entry this process was started with, by this Node
 * with its flags — under `pnpm elt serve` that is `node scripts/elt.mjs` (the compiled CLI,
 * rebuilt when a source changed); under `node --import tsx apps/cli/src/main.ts serve`, the same.
 */
export const serviceCli = (): string[] => [process.execPath, ...process.execArgv, path.resolve(process.argv[1]!)]

/** `--config <file>` as the runs must see it (absolute), or undefined when the service found the default one (the runs find it the same way). */
export const configFileOption = (value: unknown, cwd: string): string | undefined => (typeof value === 'string' ? path.resolve(cwd, value) : undefined)

/** `pnpm elt serve [--port N] [--host H] [--log-format json|pretty]` */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'Run the schedules, the API, the dashboard and /metrics in one process (one run at a time, each a child process).',
  options: {
    port: { type: 'string', valueName: 'n', description: 'port of the dashboard, API, /metrics and /healthz (default: DASHBOARD_PORT, else 3000)' },
    host: { type: 'string', valueName: 'address', description: 'address to listen on (default 127.0.0.1; 0.0.0.0 only inside a container)' },
    'log-format': { type: 'string', valueName: 'json|pretty', description: 'log lines as JSON (default when stdout is not a terminal) or for people' },
  },
  async run(context, parsed) {
    const { startService, createServiceLogger } = await import('@elt/service')
    const env = context.io.env
    const port = wholeNumberOption(parsed.values.port ?? (env.DASHBOARD_PORT || undefined), parsed.values.port === undefined ? 'port (DASHBOARD_PORT)' : 'port', 0) ?? 3000
    const format = parsed.values['log-format'] ?? (context.io.stdout.isTTY ? 'pretty' : 'json')
    if (format !== 'json' && format !== 'pretty') throw new EltError(`--log-format must be json or pretty, got "${String(format)}".`, { exitCode: ExitCode.usage })
    const token = env.DASHBOARD_TOKEN || undefined
    const databases = await context.databases()
    const secrets = [passwordOf(databases.source.url), passwordOf(databases.destination.url), token, ...context.config.alerts.map((a) => a.email?.smtp.password)]
    const logger = createServiceLogger({ format, secrets: () => secrets, write: (line) => context.io.stdout.write(line), level: env.ELT_LOG_LEVEL === 'debug' ? 'debug' : 'info' })
    const service = await startService({
      config: context.config,
      cwd: context.io.cwd,
      configFile: configFileOption(parsed.values.config, context.io.invokedFrom ?? context.io.cwd),
      cli: serviceCli(),
      // the runs use the databases this process resolved (the embedded server it started stays up while it serves)
      env: { ...env, SOURCE_DATABASE_URL: databases.source.url, DESTINATION_DATABASE_URL: databases.destination.url },
      destination: databases.destination,
      manifestPath: path.join(context.projectDir, 'target', 'manifest.json'),
      host: typeof parsed.values.host === 'string' ? parsed.values.host : '127.0.0.1',
      port,
      token,
      logger,
      stallSeconds: context.env.stallSeconds,
    })
    logger.info(
      { step: 'serve' },
      `Serving at ${service.url} (dashboard, /api, /metrics, /healthz); ${context.config.schedules.length} schedule(s)${token ? '; POST /api/runs enabled' : ''}. SIGTERM or Ctrl-C stops it.`,
    )
    await new Promise<void>((resolve) => {
      if (context.signal.aborted) resolve()
      context.signal.addEventListener('abort', () => resolve(), { once: true })
    })
    await service.stop()
    return ExitCode.success
  },
}
