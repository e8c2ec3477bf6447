import type { ResolvedConfig } from '@elt/config'
import { defaultStallSeconds, describeError, withWatchedClient, type DatabaseTarget } from '@elt/core'
import { selectNodes, startDashboardServer, warehouseSource, type DashboardServer } from '@elt/dashboard'
import { Incidents } from './incidents.ts'
import { completeRunRecord } from './run-records.ts'
import { RunQueue, type QueuedRun, type RunRequest } from './run-queue.ts'
import { migrateService } from './schedule-ticks.ts'
import { Scheduler, type WithState } from './scheduler.ts'
import { coreLogger, type ServiceLogger } from './service-logger.ts'
import { ServiceMetrics } from './service-metrics.ts'
import { serviceRoutes } from './service-routes.ts'

export interface ServiceOptions {
  config: ResolvedConfig
  /** Where the runs start (the project folder the service was started in). */
  cwd: string
  /** Given to every run as `--config` (undefined: the runs find it in `cwd`). */
  configFile?: string
  /** The CLI a run starts: `[process.execPath, '<repo>/scripts/elt.mjs']`. */
  cli: readonly string[]
  /** The runs' environment (with the database URLs). */
  env: NodeJS.ProcessEnv
  destination: DatabaseTarget
  manifestPath: string
  host?: string
  port?: number
  /** `DASHBOARD_TOKEN` for `POST /api/runs`. */
  token?: string
  logger: ServiceLogger
  /** Between SIGINT and SIGKILL of a cancelled run (default 10 s). */
  killAfterMs?: number
  /** Default true; tests turn prom-client's process metrics off to keep registries apart. */
  defaultMetrics?: boolean
  /**
   * Seconds the service's own bookkeeping (ticks, run records) may wait on a destination that
   * passes no data before its session is looked at (default 60; see `watchForStall`): a connection
   * gone silent fails that record, logged, instead of holding a schedule's tick for ever.
   */
  stallSeconds?: number
}

export interface Service {
  url: string
  queue: RunQueue
  scheduler: Scheduler
  metrics: ServiceMetrics
  enqueue(request: RunRequest): QueuedRun
  /** Stops accepting runs, lets the running one go on for `serve.gracePeriodSeconds`, cancels it, records it, closes the server. */
  stop(): Promise<void>
}

/**
 * `elt serve` in one process: the scheduler, one queue of child runs, alerts on incidents,
 * Prometheus metrics, and the dashboard with the service's routes on one port.
 *
 * ```ts
 * const service = await startService({ config, cwd, cli: [process.execPath, 'scripts/elt.mjs'], env, destination, manifestPath, logger })
 * // → http://127.0.0.1:3000: /, /api/…, /api/schedules, /api/events, /metrics, /healthz
 * await service.stop()
 * ```
 */
export async function startService(options: ServiceOptions): Promise<Service> {
  const { logger, config } = options
  let migrated = false
  const stateWatch = { what: "recording the service's state", seconds: options.stallSeconds ?? defaultStallSeconds, hint: 'Its connection was closed; the service goes on without that record.' }
  const withState: WithState = (fn) =>
    withWatchedClient(options.destination, { waitSeconds: 5, applicationName: 'elt serve' }, stateWatch, async (client) => {
      if (!migrated) {
        await migrateService(client)
        migrated = true
      }
      return fn(client)
    })
  await withState(async () => {}) // the destination is reachable and _elt.schedule_ticks exists before anything is scheduled

  const metrics = new ServiceMetrics({ defaultMetrics: options.defaultMetrics })
  let dashboard: DashboardServer | undefined
  let stopping = false
  const dashboardUrl = () => config.serve.publicUrl ?? dashboard?.url ?? `http://${options.host ?? '127.0.0.1'}:${options.port ?? 3000}`
  let incidents: Incidents | undefined
  let routes: ReturnType<typeof serviceRoutes> | undefined

  const queue = new RunQueue({
    cli: options.cli,
    cwd: options.cwd,
    env: options.env,
    configFile: options.configFile,
    killAfterMs: options.killAfterMs,
    complete: (run) =>
      withState((client) =>
        completeRunRecord(client, { runId: run.runId, command: run.command, target: run.target, status: run.outcome ?? 'error', startedAt: run.startedAt!, pid: run.pid, startedBy: run.startedBy, message: run.message }),
      ),
    onEvent: (event) => {
      const log = logger.child({ runId: event.run.runId, ...(event.run.schedule ? { schedule: event.run.schedule } : {}) })
      routes?.broadcast(event)
      if (event.type === 'queued') log.info({ step: 'queue' }, `Queued ${event.run.command} (${event.run.startedBy}, attempt ${event.run.attempt}).`)
      else if (event.type === 'started') {
        metrics.runStarted()
        log.info({ step: 'start' }, `Started ${event.run.command} as pid ${event.run.pid}.`)
      } else if (event.type === 'progress') log.info({ step: event.run.command }, event.line)
      else {
        metrics.runFinished(event.run)
        const seconds = (event.run.finishedAt!.getTime() - event.run.startedAt!.getTime()) / 1000
        log[event.run.outcome === 'success' ? 'info' : 'warn']({ step: 'finish' }, `Run ${event.run.outcome} after ${seconds.toFixed(1)} s${event.run.message ? `: ${event.run.message}` : ''}.`)
        if (!event.run.schedule) incidents?.outcome(`api:${event.run.command}`, event.run)
      }
    },
  })
  const scheduler = new Scheduler({
    schedules: config.schedules,
    timezone: config.timezone,
    queue,
    withState,
    logger,
    onOutcome: ({ schedule, run }) => incidents?.outcome(schedule.name, run),
  })
  await scheduler.start()
  const failing = new Map<string, boolean>()
  for (const schedule of config.schedules) {
    const last = scheduler.lastTick(schedule.name)
    if (last?.lastOutcome) failing.set(schedule.name, last.lastOutcome !== 'success' && last.lastOutcome !== 'cancelled')
    if (last?.lastSuccessAt) metrics.lastSuccessAt(schedule.name, last.lastSuccessAt)
  }
  incidents = new Incidents({ alerts: config.alerts, dashboardUrl, logger, failing })

  const source = warehouseSource({ destinationUrl: options.destination.url, manifestPath: options.manifestPath })
  routes = serviceRoutes({
    queue,
    scheduler,
    metrics,
    token: options.token,
    checkDestination: () => withTimeout(withState((client) => client.query('select 1').then(() => {})), 2000, 'the destination did not answer within 2 s'),
    dashboardApi: () => dashboard?.api,
    stopping: () => stopping,
  })
  try {
    dashboard = await startDashboardServer({
      source,
      select: selectNodes,
      logger: coreLogger(logger, 'http'),
      host: options.host,
      port: options.port,
      trigger: { cwd: options.cwd },
      routes: routes.handle,
    })
  } catch (error) {
    await scheduler.stop()
    await queue.close(0)
    routes.close()
    await source.close()
    throw error
  }
  const server = dashboard
  return {
    url: server.url,
    queue,
    scheduler,
    metrics,
    enqueue: (request) => queue.enqueue(request),
    async stop() {
      if (stopping) return
      stopping = true
      const graceMs = config.serve.gracePeriodSeconds * 1000
      const running = queue.active().find((r) => r.state === 'running')
      logger.info({ step: 'shutdown', ...(running ? { runId: running.runId, ...(running.schedule ? { schedule: running.schedule } : {}) } : {}) }, running ? `Stopping: the running run may go on for ${config.serve.gracePeriodSeconds} s, then it is cancelled.` : 'Stopping.')
      await Promise.all([queue.close(graceMs), scheduler.stop()])
      await withTimeout(incidents.flush(), 15_000, 'alerts still sending').catch((error: unknown) => logger.warn({ step: 'shutdown' }, describeError(error)))
      routes.close()
      await server.close()
      await source.close()
      logger.info({ step: 'shutdown' }, 'Stopped.')
    },
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]).finally(() => clearTimeout(timer))
}
