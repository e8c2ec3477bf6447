import type pg from 'pg'
import { backendPid, cancelBackends, defaultStallSeconds, describeError, sessionOf, watchedEnds, watchForStall, type DatabaseTarget } from '@elt/core'
import type { ModelRelation } from '../define/relation.ts'
import type { Project } from '../define/project.ts'
import { reachable, type ModelGraph } from '../graph/build-graph.ts'
import type { CompiledProject } from '../compile/compile-project.ts'
import { materializeModel } from '../materialize/materialize-model.ts'
import type { NodeResult } from '../record/node-result.ts'

/** Called after a model built successfully (data tests plug in here); `failed` skips its descendants. */
export type AfterBuildHook = (node: ModelRelation<any, any>, client: pg.ClientBase) => Promise<{ failed: boolean; results?: NodeResult[] }>

export type ExecutionEvent =
  | { type: 'start'; id: string; name: string; materialized: string; worker: number }
  | { type: 'done'; result: NodeResult }

export interface ExecuteOptions {
  project: Project
  graph: ModelGraph
  compiled: CompiledProject
  /** Selected node ids; sources among them are ignored (they are never built). */
  selected: readonly string[]
  schema: string
  /** Opens one connection per worker; closed when the execution ends. */
  connect: () => Promise<pg.Client>
  /** The database `connect` opens: with it, each build is watched for a stalled connection (see `watchForStall`). */
  destination?: DatabaseTarget
  stallSeconds?: number
  threads: number
  fullRefresh?: boolean
  signal?: AbortSignal
  afterBuild?: AfterBuildHook
  onEvent?: (event: ExecutionEvent) => void | Promise<void>
}

export interface ExecutionOutcome {
  results: NodeResult[]
  /** Results other components added through `afterBuild` (e.g. data tests). */
  extraResults: NodeResult[]
  cancelled: boolean
}

/**
 * Builds the selected models: a node starts as soon as all its selected parents succeeded,
 * up to `threads` at once; a failure marks its selected descendants skipped and the rest go on.
 * On abort, nothing new starts and running statements are cancelled with `pg_cancel_backend`.
 * With `destination`, a build whose connection stops passing data without closing (its session
 * idle, waiting for this process, for `stallSeconds`; gone; or its server not answering) fails
 * with that said, and its worker goes on with a new connection.
 */
export async function executeModels(options: ExecuteOptions): Promise<ExecutionOutcome> {
  const { project, graph, compiled } = options
  const order = options.selected.filter((id) => project.models.has(id))
  const selected = new Set(order)
  const position = new Map(order.map((id, i) => [id, i]))
  const waiting = new Map<string, number>()
  for (const id of order) waiting.set(id, graph.inNeighbors(id).filter((p) => selected.has(p)).length)
  const ready = order.filter((id) => waiting.get(id) === 0)
  const finished = new Map<string, NodeResult>()
  const extraResults: NodeResult[] = []
  const running = new Map<number, { client: pg.Client; id: string }>()
  const lost = new WeakSet<pg.Client>()
  let cancelled = false

  const record = async (result: NodeResult) => {
    finished.set(result.id, result)
    await options.onEvent?.({ type: 'done', result })
  }
  const skipDescendants = async (id: string, reason: string) => {
    const stack = graph.outNeighbors(id).filter((c) => selected.has(c))
    while (stack.length) {
      const child = stack.pop()!
      if (finished.has(child)) continue
      const index = ready.indexOf(child)
      if (index !== -1) ready.splice(index, 1)
      await record(skipped(project.models.get(child)!, reason))
      stack.push(...graph.outNeighbors(child).filter((c) => selected.has(c)))
    }
  }
  const onAbort = () => {
    cancelled = true
    const pids = [...running.values()].map(({ client }) => backendPid(client)).filter((pid) => pid !== undefined)
    void cancelBackends(options.connect, pids) // a fresh connection: the workers' are busy with the statements being cancelled
  }
  if (options.signal?.aborted) onAbort()
  options.signal?.addEventListener('abort', onAbort, { once: true })

  const threads = Math.max(1, Math.min(options.threads, order.length || 1))
  const clients: pg.Client[] = []
  try {
    let wake: () => void = () => {}
    // all connections first: a connection failure fails the run before anything is built
    const opened = await Promise.allSettled(Array.from({ length: threads }, () => options.connect()))
    for (const result of opened) if (result.status === 'fulfilled') clients.push(result.value)
    const failed = opened.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
    const worker = async (number: number) => {
      let client = clients[number - 1]!
      for (;;) {
        if (cancelled || (ready.length === 0 && running.size === 0 && finished.size === order.length)) return
        const id = ready.shift()
        if (id === undefined) {
          if (finished.size === order.length) return
          await new Promise<void>((resolve) => {
            const previous = wake
            wake = () => {
              previous()
              resolve()
            }
          })
          continue
        }
        running.set(number, { client, id })
        const result = await buildOne(options, project.models.get(id)!, client, number, extraResults)
        running.delete(number)
        if (lost.has(client)) clients[number - 1] = client = await options.connect() // the stalled one was closed
        await record(result)
        if (result.status === 'success') {
          for (const child of graph.outNeighbors(id)) {
            if (!selected.has(child)) continue
            const left = waiting.get(child)! - 1
            waiting.set(child, left)
            if (left === 0 && !finished.has(child)) insertByPosition(ready, child, position)
          }
        } else {
          await skipDescendants(id, `skipped: upstream ${result.name} ${result.status === 'error' ? 'failed' : 'was skipped'}`)
        }
        const notify = wake
        wake = () => {}
        notify()
      }
    }
    await Promise.all(Array.from({ length: threads }, (_, i) => worker(i + 1)))
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
    await Promise.all(clients.map((c) => c.end().catch(() => {})))
  }
  for (const id of order) {
    if (!finished.has(id)) await record(skipped(project.models.get(id)!, cancelled ? 'skipped: the run was cancelled' : 'skipped'))
  }
  return { results: order.map((id) => finished.get(id)!), extraResults, cancelled }

  /** The source relations (raw tables, `schema.table`) upstream of a model, however far. */
  function upstreamSources(g: ModelGraph, id: string): string[] {
    return [...reachable(g, id, 'up')].map((n) => g.getNodeAttribute(n, 'relation')).filter((r) => r.kind === 'source').map((r) => `${r.schema}.${r.name}`)
  }

  async function buildOne(opts: ExecuteOptions, model: ModelRelation<any, any>, client: pg.Client, worker: number, extras: NodeResult[]): Promise<NodeResult> {
    await opts.onEvent?.({ type: 'start', id: model.id, name: model.name, materialized: model.materialized, worker })
    const startedAt = new Date()
    const started = performance.now()
    const base = { id: model.id, name: model.name, kind: 'model', materialized: model.materialized, startedAt, worker }
    const watch = watchForStall({
      what: `building ${model.name}`,
      ends: watchedEnds({ destination: [opts.destination && sessionOf(client, opts.destination)] }),
      seconds: opts.stallSeconds ?? defaultStallSeconds,
      hint: 'Its connection was closed and the model left as it was (a build is one transaction); the models downstream of it are skipped.',
      onStall: () => {
        lost.add(client)
        void client.end() // with the statement in flight pg destroys the socket: what waits on it fails
      },
    })
    try {
      const { rowsAffected } = await materializeModel(client, {
        model,
        schema: opts.schema,
        sql: compiled.get(model.id)!.sql!,
        fullRefresh: opts.fullRefresh === true,
        ...(model.incremental?.changedSince === 'source' ? { upstreamSources: upstreamSources(graph, model.id) } : {}),
      })
      let message: string | null = null
      let status: NodeResult['status'] = 'success'
      if (opts.afterBuild && model.materialized !== 'ephemeral') {
        const after = await opts.afterBuild(model, client)
        extras.push(...(after.results ?? []))
        if (after.failed) {
          status = 'error'
          message = 'a data test of this model failed'
        }
      }
      return { ...base, status, finishedAt: new Date(), seconds: (performance.now() - started) / 1000, rowsAffected, message }
    } catch (error) {
      const text = cancelled ? 'cancelled by the user' : describeError(watch.stalled ?? error)
      return { ...base, status: 'error', finishedAt: new Date(), seconds: (performance.now() - started) / 1000, rowsAffected: null, message: text }
    } finally {
      watch.stop()
    }
  }
}

function skipped(model: ModelRelation<any, any>, message: string): NodeResult {
  return {
    id: model.id,
    name: model.name,
    kind: 'model',
    materialized: model.materialized,
    status: 'skipped',
    startedAt: null,
    finishedAt: null,
    seconds: 0,
    rowsAffected: null,
    message,
    worker: null,
  }
}

function insertByPosition(ready: string[], id: string, position: ReadonlyMap<string, number>): void {
  const p = position.get(id)!
  const at = ready.findIndex((other) => position.get(other)! > p)
  if (at === -1) ready.push(id)
  else ready.splice(at, 0, id)
}
