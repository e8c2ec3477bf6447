import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describeError, EltError, type Logger } from '@elt/core'
import type { DashboardSource } from '../data/dashboard-source.ts'
import { DashboardApi, parseTestFilter, type NodeSelector } from './dashboard-api.ts'
import { HttpError, sendJson } from './http-error.ts'
import { runTrigger, type RunTriggerOptions } from './run-trigger.ts'
import { buildWebAssets, webPage } from './web-assets.ts'

export interface DashboardServerOptions {
  source: DashboardSource
  select: NodeSelector
  logger: Logger
  /** Default 127.0.0.1: the dashboard is not published unless asked. */
  host?: string
  /** Default 3000; 0 picks a free port. */
  port?: number
  trigger: Omit<RunTriggerOptions, 'logger'>
  /**
   * Routes served before the dashboard's own (`elt serve` adds `/healthz`, `/metrics`,
   * `/api/schedules`, `/api/events` and its queue's `POST /api/runs`): return true when handled.
   * An `HttpError` thrown becomes its status with `{ error, hint }`.
   */
  routes?: (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean> | boolean
}

export interface DashboardServer {
  url: string
  server: Server
  api: DashboardApi
  close(): Promise<void>
}

type Handler = (match: RegExpExecArray, query: URLSearchParams, request: IncomingMessage) => Promise<unknown> | unknown

/**
 * Starts the dashboard: the JSON API under `/api/`, the UI everywhere else.
 *
 * ```ts
 * const dashboard = await startDashboardServer({ source, select: selectNodes, logger, port: 0, trigger: { cwd } })
 * await fetch(`${dashboard.url}/api/lineage?select=1%2Bfilm_ratings%2B1`) // → 200 { nodes: […], edges: […] }
 * ```
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const api = new DashboardApi(options.source, options.select)
  const trigger = runTrigger({ ...options.trigger, logger: options.logger })
  const assets = await buildWebAssets()
  const decode = (value: string) => {
    try {
      return decodeURIComponent(value)
    } catch {
      throw new HttpError(400, `Malformed path segment "${value}".`)
    }
  }
  const get: [RegExp, Handler][] = [
    [/^\/api\/manifest$/, () => api.manifest()],
    [/^\/api\/lineage$/, (_m, q) => api.lineage(q.get('select') ?? '', q.get('exclude') ?? '')],
    [/^\/api\/nodes\/([^/]+)$/, (m) => api.node(decode(m[1]!))],
    [/^\/api\/columns\/([^/]+)\/([^/]+)\/lineage$/, (m, q) => api.columnLineage(decode(m[1]!), decode(m[2]!), q.get('direction') ?? 'up', q.get('depth') ?? undefined)],
    [/^\/api\/tests$/, (_m, q) => api.tests(parseTestFilter(q))],
    [/^\/api\/tests\/([^/]+)$/, (m) => api.test(decode(m[1]!))],
    [/^\/api\/runs$/, (_m, q) => api.runs(Number(q.get('limit') ?? 50))],
    [/^\/api\/runs\/([^/]+)$/, (m) => api.run(decode(m[1]!))],
  ]

  const host = options.host ?? '127.0.0.1'
  const loopbackOnly = isLoopback(host)
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const method = request.method ?? 'GET'
    // Bound to loopback, only loopback names are served: a web page cannot reach the dashboard
    // (and its samples of failing rows) through DNS rebinding.
    if (loopbackOnly && !isLoopback(hostnameOf(request.headers.host))) return sendJson(response, 403, { error: `Unexpected Host header "${request.headers.host ?? ''}".` })
    if (options.routes) {
      try {
        if (await options.routes(request, response, url)) return
      } catch (error) {
        if (error instanceof HttpError) return sendJson(response, error.status, { error: error.message, hint: error.hint })
        throw error
      }
    }
    if (url.pathname.startsWith('/api/')) {
      try {
        if (method === 'POST' && url.pathname === '/api/runs') {
          request.resume()
          return sendJson(response, 202, { run: trigger.start(request.headers.authorization) })
        }
        if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `${method} is not allowed on ${url.pathname}.`)
        for (const [pattern, handler] of get) {
          const match = pattern.exec(url.pathname)
          if (match) return sendJson(response, 200, await handler(match, url.searchParams, request))
        }
        throw new HttpError(404, `No API endpoint ${url.pathname}.`)
      } catch (error) {
        if (error instanceof HttpError) return sendJson(response, error.status, { error: error.message, hint: error.hint })
        if (error instanceof EltError) return sendJson(response, 503, { error: describeError(error) })
        options.logger.error(`${method} ${url.pathname} failed: ${describeError(error)}`)
        return sendJson(response, 500, { error: describeError(error) })
      }
    }
    if (method !== 'GET' && method !== 'HEAD') return sendJson(response, 405, { error: `${method} is not allowed.` })
    const page = webPage(assets, url.pathname)
    if (!page) return sendJson(response, 404, { error: `No file ${url.pathname}.` })
    const { type, body } = page
    response.writeHead(200, {
      'content-type': `${type}; charset=utf-8`,
      'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
    })
    response.end(method === 'HEAD' ? undefined : body)
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.logger.error(describeError(error))
      if (!response.headersSent) sendJson(response, 500, { error: 'Internal error.' })
      else response.end()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 3000, host, () => resolve())
  }).catch((error: NodeJS.ErrnoException) => {
    throw new EltError(`The dashboard could not listen on ${host}:${options.port ?? 3000} (${error.code ?? error.message}).`, {
      hint: error.code === 'EADDRINUSE' ? 'Another process uses that port; pick another with --port or DASHBOARD_PORT.' : 'Check --host and --port.',
      cause: error,
    })
  })
  const address = server.address() as AddressInfo
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${shownHost}:${address.port}`,
    server,
    api,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '::1' || /^127\.\d+\.\d+\.\d+$/.test(hostname)
}

/** `127.0.0.1:3000` → `127.0.0.1`, `[::1]:3000` → `::1`. */
function hostnameOf(header: string | undefined): string {
  if (!header) return ''
  const bracketed = /^\[([^\]]+)\]/.exec(header)
  return bracketed ? bracketed[1]! : header.replace(/:\d+$/, '')
}
