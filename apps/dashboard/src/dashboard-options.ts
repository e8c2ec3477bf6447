import path from 'node:path'
import { parseArgs } from 'node:util'
import { EltError, ExitCode } from '@elt/core'

/** `pnpm dashboard --help`; the README shows the same text (a test keeps them equal). */
export const usage = `Usage: pnpm dashboard [options]

Options:
  --port <n>          Port to listen on (default: DASHBOARD_PORT or 3000)
  --host <address>    Address to bind (default 127.0.0.1; 0.0.0.0 publishes it)
  --project <dir>     Project root (default: the current directory)
  --manifest <file>   The runner's manifest (default: <project>/target/manifest.json)
  --demo              Serve a generated project of 2,000 models instead of the warehouse
  -h, --help          Show this help

Environment:
  DASHBOARD_PORT      Port when --port is not given
  DASHBOARD_TOKEN     Enables POST /api/runs for requests with "Authorization: Bearer <token>"
  SOURCE_DATABASE_URL, DESTINATION_DATABASE_URL
                      The warehouse; both unset: the embedded PostgreSQL under .elt/`

export interface DashboardOptions {
  help: boolean
  port: number
  host: string
  projectDir: string
  manifestPath: string
  demo: boolean
  /** Undefined: triggering runs is disabled. */
  token: string | undefined
}

/**
 * Reads the command line and the dashboard's own environment variables (only here).
 *
 * ```ts
 * parseDashboardOptions(['--port', '8080'], { DASHBOARD_TOKEN: 's3cret' }, '/repo')
 * // → { port: 8080, host: '127.0.0.1', manifestPath: '/repo/target/manifest.json', token: 's3cret', … }
 * ```
 */
export function parseDashboardOptions(argv: string[], env: NodeJS.ProcessEnv, cwd: string): DashboardOptions {
  let values
  try {
    values = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        project: { type: 'string' },
        manifest: { type: 'string' },
        demo: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values
  } catch (error) {
    throw new EltError(`${(error as Error).message}.`, { hint: 'Run `pnpm dashboard --help` for the options.', exitCode: ExitCode.usage })
  }
  const portText = values.port ?? env.DASHBOARD_PORT ?? '3000'
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || port > 65535)
    throw new EltError(`The port must be a whole number from 0 to 65535, got "${portText}".`, { hint: 'Pass --port 3000 or set DASHBOARD_PORT.', exitCode: ExitCode.usage })
  const projectDir = path.resolve(cwd, values.project ?? '.')
  return {
    help: values.help === true,
    port,
    host: values.host ?? '127.0.0.1',
    projectDir,
    manifestPath: path.resolve(projectDir, values.manifest ?? path.join('target', 'manifest.json')),
    demo: values.demo === true,
    token: env.DASHBOARD_TOKEN || undefined,
  }
}
