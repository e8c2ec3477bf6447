import type { IncomingMessage, ServerResponse } from 'node:http'
import { schedulableCommands } from '@elt/config'
import { describeError } from '@elt/core'
import { authorized, HttpError, sendJson, type DashboardApi } from '@elt/dashboard'
import type { QueuedRun, QueueEvent, RunQueue, RunRequest } from './run-queue.ts'
import type { Scheduler } from './scheduler.ts'
import type { ServiceMetrics } from './service-metrics.ts'

export interface ServiceRoutesOptions {
  queue: RunQueue
  scheduler: Scheduler
  metrics: ServiceMetrics
  /** `DASHBOARD_TOKEN`: undefined disables `POST /api/runs`. */
  token?: string
  /** Bounded check of the destination (rejects when unreachable). */
  checkDestination: () => Promise<void>
  /** The dashboard's API, once started (run timelines from `_elt`). */
  dashboardApi: () => DashboardApi | undefined
  stopping: () => boolean
}

/** A run as the API shows it: what the queue knows, without the child's raw summary. */
export function runView(run: QueuedRun) {
  const { summary: _summary, ...rest } = run
  return { ...rest, status: run.state === 'finished' ? run.outcome : run.state }
}

/**
 * The service's routes on the dashboard's server: `/healthz`, `/metrics`, `GET /api/schedules`,
 * `POST /api/runs` (through the queue), `GET /api/runs/:id` (live state + the recorded timeline)
 * and `GET /api/events` (server-sent events of the queue: queued, started, progress lines, finished).
 *
 * ```sh
 * curl -X POST -H "Authorization: Bearer $DASHBOARD_TOKEN" -d '{"command":"run"}' http://127.0.0.1:3000/api/runs
 * # 202 {"runId":"6f1c…","status":"queued",…}
 * ```
 */
export function serviceRoutes(options: ServiceRoutesOptions) {
  const streams = new Set<ServerResponse>()
  const broadcast = (event: QueueEvent) => {
    const data = event.type === 'progress' ? { runId: event.run.runId, line: event.line } : runView(event.run)
    const text = `event: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`
    for (const stream of streams) stream.write(text)
  }
  const heartbeat = setInterval(() => {
    for (const stream of streams) stream.write(': keep-alive\n\n')
  }, 15_000)
  heartbeat.unref()

  const handle = async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<boolean> => {
    const method = request.method ?? 'GET'
    const path = url.pathname
    if (path === '/healthz' && method === 'GET') {
      const state = { running: options.queue.active().filter((r) => r.state === 'running').map((r) => r.runId), queued: options.queue.active().filter((r) => r.state === 'queued').length, stopping: options.stopping(), schedules: options.scheduler.status() }
      try {
        await options.checkDestination()
        sendJson(response, 200, { status: 'ok', destination: 'reachable', ...state })
      } catch (error) {
        sendJson(response, 503, { status: 'unavailable', destination: describeError(error), ...state })
      }
      return true
    }
    if (path === '/metrics' && method === 'GET') {
      for (const schedule of options.scheduler.status()) options.metrics.nextRunAt(schedule.name, schedule.nextRunAt ? new Date(schedule.nextRunAt) : null)
      const { body, contentType } = await options.metrics.text()
      response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' })
      response.end(body)
      return true
    }
    if (path === '/api/schedules' && method === 'GET') {
      sendJson(response, 200, options.scheduler.status())
      return true
    }
    if (path === '/api/events' && method === 'GET') {
      response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-content-type-options': 'nosniff' })
      response.write(`event: snapshot\ndata: ${JSON.stringify(options.queue.active().map(runView))}\n\n`)
      streams.add(response)
      request.on('close', () => streams.delete(response))
      return true
    }
    if (path === '/api/runs' && method === 'POST') {
      if (!options.token) throw new HttpError(403, 'Triggering runs is disabled.', 'Start elt serve with DASHBOARD_TOKEN set to allow POST /api/runs.')
      if (!authorized(request.headers.authorization, options.token)) throw new HttpError(401, 'Missing or wrong bearer token.', 'Send Authorization: Bearer <DASHBOARD_TOKEN>.')
      const body = parseRunRequest(await readBody(request))
      if (options.stopping()) throw new HttpError(503, 'The service is stopping: no new runs.')
      const run = options.queue.enqueue({ ...body, startedBy: 'api' })
      sendJson(response, 202, { ...runView(run), href: `/api/runs/${run.runId}` })
      return true
    }
    const one = /^\/api\/runs\/([0-9a-fA-F-]{36})$/.exec(path)
    if (one && method === 'GET') {
      const live = options.queue.get(one[1]!)
      if (!live) return false // the dashboard's own answer, from _elt.runs
      let timeline: object = {}
      if (live.state !== 'queued') timeline = (await Promise.resolve(options.dashboardApi()?.run(live.runId)).catch(() => undefined)) ?? {}
      sendJson(response, 200, { ...timeline, ...runView(live), id: live.runId })
      return true
    }
    return false
  }
  return {
    handle,
    broadcast,
    close() {
      clearInterval(heartbeat)
      for (const stream of streams) stream.end()
      streams.clear()
    },
  }
}

/** Reads a request body of at most 16 kB within 5 s. */
async function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    const timer = setTimeout(() => {
      request.destroy()
      reject(new HttpError(408, 'The request body did not arrive within 5 s.'))
    }, 5000)
    request.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      if (text.length > 16_384) {
        clearTimeout(timer)
        request.destroy()
        reject(new HttpError(413, 'The request body is larger than 16 kB.'))
      }
    })
    request.on('end', () => {
      clearTimeout(timer)
      resolve(text)
    })
    request.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })
}

const bodyHint = 'Send a JSON body such as {"command":"run","select":"film_ratings+","date":"2026-11-30"}.'

/** `{ command, select?, date? }` of `POST /api/runs`, or a 400 naming what is wrong. */
export function parseRunRequest(text: string): Pick<RunRequest, 'command' | 'select' | 'date'> {
  let body: unknown
  try {
    body = text.trim() ? JSON.parse(text) : undefined
  } catch {
    throw new HttpError(400, 'The body is not JSON.', bodyHint)
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'The body must be a JSON object.', bodyHint)
  const { command, select, date, ...rest } = body as Record<string, unknown>
  const unknownKeys = Object.keys(rest)
  if (unknownKeys.length) throw new HttpError(400, `Unknown field(s) ${unknownKeys.map((k) => `"${k}"`).join(', ')}: only command, select and date are accepted.`, bodyHint)
  if (typeof command !== 'string' || !(schedulableCommands as readonly string[]).includes(command)) {
    throw new HttpError(400, `"command" must be one of ${schedulableCommands.join(', ')}, got ${JSON.stringify(command)}.`, bodyHint)
  }
  if (select !== undefined && (typeof select !== 'string' || !select.trim() || select.startsWith('-'))) throw new HttpError(400, '"select" must be a selection such as "film_ratings+".', bodyHint)
  if (date !== undefined && (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`)))) {
    throw new HttpError(400, '"date" must be a day such as "2026-11-30".', bodyHint)
  }
  return { command, ...(select ? { select } : {}), ...(date ? { date } : {}) }
}
