import { spawn } from 'node:child_process'
import { timingSafeEqual } from 'node:crypto'
import type { Logger } from '@elt/core'
import { HttpError } from './http-error.ts'

export interface RunTriggerOptions {
  /** `DASHBOARD_TOKEN`; undefined disables `POST /api/runs`. */
  token?: string
  /** The command a trigger starts, run in `cwd` (default `pnpm elt run --json`). */
  command?: readonly string[]
  cwd: string
  env?: NodeJS.ProcessEnv
  logger: Logger
}

export interface TriggeredRun {
  pid: number
  startedAt: string
  command: string
  exitCode?: number | null
}

/**
 * `POST /api/runs`: starts the project's run as a child process (the same `pnpm elt run` a person
 * would type), one at a time. The dashboard itself never writes to the warehouse.
 *
 * ```ts
 * const trigger = runTrigger({ token: env.DASHBOARD_TOKEN, cwd: projectDir, logger })
 * trigger.start('Bearer s3cret') // → { pid: 4242, startedAt: '…', command: 'pnpm elt run --json' }
 * ```
 */
export function runTrigger(options: RunTriggerOptions): { start(authorization: string | undefined): TriggeredRun; current(): TriggeredRun | undefined } {
  const command = options.command ?? ['pnpm', 'elt', 'run', '--json']
  let current: TriggeredRun | undefined
  return {
    current: () => current,
    start(authorization) {
      if (!options.token) throw new HttpError(403, 'Triggering runs is disabled.', 'Start the dashboard with DASHBOARD_TOKEN set to allow POST /api/runs.')
      if (!authorized(authorization, options.token)) throw new HttpError(401, 'Missing or wrong bearer token.', 'Send Authorization: Bearer <DASHBOARD_TOKEN>.')
      if (current && current.exitCode === undefined) throw new HttpError(409, `A run is already in progress (pid ${current.pid}).`)
      const child = spawn(command[0]!, command.slice(1), { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] })
      if (child.pid === undefined) throw new HttpError(500, `Could not start "${command.join(' ')}".`)
      const run: TriggeredRun = { pid: child.pid, startedAt: new Date().toISOString(), command: command.join(' ') }
      current = run
      child.stderr.on('data', (chunk: Buffer) => options.logger.debug(`run ${run.pid}: ${chunk.toString().trimEnd()}`))
      child.on('exit', (code) => {
        run.exitCode = code
        options.logger.info(`Triggered run (pid ${run.pid}) exited with code ${code}.`)
      })
      child.on('error', (error) => {
        run.exitCode = -1
        options.logger.error(`Triggered run failed to start: ${error.message}`)
      })
      return run
    },
  }
}

/** `Authorization: Bearer <token>` compared in constant time: `authorized('Bearer s3cret', 's3cret')` → true. */
export function authorized(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? '')
  if (!match) return false
  const given = Buffer.from(match[1]!)
  const expected = Buffer.from(token)
  return given.length === expected.length && timingSafeEqual(given, expected)
}
