import type pg from 'pg'
import { backendActivity, endBackend, sessionOf, type BackendActivity, type BackendSession } from './backend-activity.ts'
import { connectClient, type ConnectOptions, type DatabaseTarget } from './connect.ts'
import { EltError } from './elt-error.ts'

/** Seconds a load or a build may go without a byte from its servers before its sessions are looked at. */
export const defaultStallSeconds = 60

/** One end of a load or build that can stall: a server session behind one of its connections. */
export interface WatchedEnd {
  side: 'source' | 'destination'
  backend: BackendSession
}

/** The ends to watch among some sessions, each on its side; sessions not there (a file source, a client not connected) left out. */
export function watchedEnds(sides: { source?: readonly (BackendSession | undefined)[]; destination?: readonly (BackendSession | undefined)[] }): WatchedEnd[] {
  return (['source', 'destination'] as const).flatMap((side) => (sides[side] ?? []).filter((b) => b !== undefined).map((backend) => ({ side, backend })))
}

/** What {@link watchForStall} watches, for how long, and what it does when it gives up. */
export interface StallWatchOptions {
  /** The work, in words: `loading public.big into raw.big` (the error says `Nothing moved for 62 s while …`). */
  what: string
  /** The sessions to watch (a function: those open at each look). */
  ends: readonly WatchedEnd[] | (() => readonly WatchedEnd[])
  /** An end of the load is not a server session (the source's files): only a lost session counts, waiting proves nothing. */
  partial?: boolean | (() => boolean)
  seconds: number
  /** What the error says happens next (default: the table is retried). */
  hint?: string
  /** Called once, when the work is given up: close its connections, so what waits on them fails. */
  onStall: (error: EltError) => void
}

export interface StallWatch {
  stop(): void
  /** The error the load was given up with, once it was. */
  readonly stalled: EltError | undefined
}

/**
 * Watches one piece of work (a table's load, a run's own sessions, a model's build) for a
 * connection that stopped passing data without closing: a cut
 * network or a stalled proxy keeps its socket open, so no error ever comes (TCP keepalive is
 * answered by whatever still holds the socket, or never starts while data waits to be sent).
 *
 * When nothing has come from either server for `seconds` (their sockets' bytes), each end's
 * server is asked on a new connection what the load's session is doing ({@link backendActivity}).
 * The load is given up (`onStall`: its connections are closed, which fails what waits on them)
 * when a session is gone or its server does not answer, or when every session waits on this
 * process: a COPY waiting to send or for data (`ClientWrite`, `ClientRead`), or a session idle for
 * `seconds` between statements. The sessions still there are ended from the new connection
 * (`pg_terminate_backend`): a server that never hears from this process again would keep them,
 * their locks and snapshot, until its own TCP keepalive gives up. A session at work (reading,
 * sorting, building an index, waiting on a lock) is slow, not stalled: looked at again after
 * `seconds / 2`.
 *
 * ```sql
 * -- on a new connection to each end, after `seconds` of quiet
 * select state, wait_event_type, wait_event, … from pg_stat_activity where pid = $1
 * ```
 */
export function watchForStall(options: StallWatchOptions): StallWatch {
  const { seconds } = options
  const endsNow = typeof options.ends === 'function' ? options.ends : () => options.ends as readonly WatchedEnd[]
  let lastMoved = Date.now()
  let received = -1
  let notBefore = 0
  let probing = false
  let stopped = false
  let stalled: EltError | undefined
  const probeSeconds = Math.min(10, Math.max(2, seconds))
  const look = async () => {
    const ends = endsNow()
    const activities = await Promise.all(ends.map((end) => backendActivity(end.backend, { timeoutSeconds: probeSeconds })))
    const quiet = (Date.now() - lastMoved) / 1000
    const partial = typeof options.partial === 'function' ? options.partial() : options.partial === true
    const reason = stallReason(ends, activities, { quiet, seconds, partial })
    if (stopped) return
    if (reason === undefined) {
      notBefore = Date.now() + (seconds * 1000) / 2
      return
    }
    stalled = Object.assign(
      new EltError(`Nothing moved for ${Math.round(quiet)} s while ${options.what}: ${reason}.`, {
        hint: `${options.hint ?? 'Its connections were closed and nothing of this load was committed; it is tried again within the retry budget (ELT_MAX_RETRIES).'} If it keeps happening, check the network and any proxy (pgbouncer, a load balancer) between this machine and the servers.`,
      }),
      { code: '08006' }, // a lost connection: retried like one
    )
    stopped = true
    options.onStall(stalled)
    // the sessions still there are ended: their server may never notice this process is gone, and they hold locks and a snapshot
    await Promise.all(ends.filter((_, i) => activities[i]!.kind === 'session').map((end) => endBackend(end.backend, { timeoutSeconds: probeSeconds })))
  }
  const timer = setInterval(
    () => {
      const ends = endsNow()
      const now = ends.reduce((sum, end) => sum + end.backend.bytesReceived(), 0)
      if (now !== received) lastMoved = Date.now() // anything from either server: a row, a statement's answer
      received = now
      if (ends.length === 0 || stopped || probing || Date.now() < notBefore || Date.now() - lastMoved < seconds * 1000) return
      probing = true
      void look().finally(() => (probing = false))
    },
    Math.min(1000, seconds * 250),
  )
  timer.unref()
  return {
    stop: () => {
      stopped = true
      clearInterval(timer)
    },
    get stalled() {
      return stalled
    },
  }
}

/**
 * `step` under {@link watchForStall}: once the watch gave up, the step's failure (a bare
 * `Connection terminated` from the connection it closed) is reported as the stall.
 *
 * ```ts
 * await watchedStep({ what: 'recording the run', ends, seconds: 60, onStall: () => void client.end() }, () => finishRun(client, runId, outcome))
 * // after 60 s of silence: EltError('Nothing moved for 61 s while recording the run: the destination's session (pid 4711) has waited 61 s …')
 * ```
 */
export async function watchedStep<T>(options: StallWatchOptions, step: (watch: StallWatch) => Promise<T>): Promise<T> {
  const watch = watchForStall(options)
  try {
    return await step(watch)
  } catch (error) {
    throw watch.stalled ?? error
  } finally {
    watch.stop()
  }
}

/**
 * `step`'s statements on one connection to `target`, under {@link watchedStep}: given up, the
 * connection is closed (with a statement in flight pg destroys the socket: it fails) and its
 * session ended. Without `target` nothing is watched.
 *
 * ```ts
 * await watchedClientStep(client, destination, { what: 'recording the run', seconds: 60, hint: 'Rerun.' }, () => finishRun(client, runId, outcome))
 * ```
 */
export function watchedClientStep<T>(
  client: pg.Client,
  target: DatabaseTarget | undefined,
  watch: { what: string; seconds: number; hint: string },
  step: (watch: StallWatch) => Promise<T>,
): Promise<T> {
  return watchedStep(
    { ...watch, ends: watchedEnds({ destination: [target && sessionOf(client, target)] }), onStall: () => void client.end().catch(() => {}) },
    step,
  )
}

/**
 * A connection of its own to `target` for one short step: opened, the step's statements watched
 * ({@link watchedClientStep}), closed. For the bookkeeping around the work (a run's record, a
 * tick, a command that reads a status) whose silent connection would otherwise hang the caller.
 *
 * ```ts
 * const status = await withWatchedClient(destination, { applicationName: 'elt-cdc' }, { what: 'reading the cdc state', seconds: 60, hint: 'Nothing was changed: run it again.' }, (client) =>
 *   client.query('select applied_lsn from _elt.cdc_pipelines where pipeline = $1', ['postgres']))
 * ```
 */
export async function withWatchedClient<T>(
  target: DatabaseTarget,
  connect: ConnectOptions,
  watch: { what: string; seconds: number; hint: string },
  step: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = await connectClient(target, connect)
  try {
    return await watchedClientStep(client, target, watch, () => step(client))
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * Why the load is stalled, from what its sessions are doing, or `undefined` while one of them is
 * at work (or, `partial`, while none is lost). `quiet`: seconds since data last moved.
 */
export function stallReason(
  ends: readonly WatchedEnd[],
  activities: readonly BackendActivity[],
  { quiet, seconds, partial }: { quiet: number; seconds: number; partial: boolean },
): string | undefined {
  const said = ends.map((end, i) => endState(end, activities[i]!, quiet, seconds))
  const lost = said.filter((s) => s.lost)
  if (lost.length > 0) return lost.map((s) => s.words).join('; ')
  return !partial && said.length > 0 && said.every((s) => s.waiting) ? said.map((s) => s.words).join('; ') : undefined
}

/** One end in words: lost (gone, or its server does not answer), waiting on this process, or at work. */
function endState(end: WatchedEnd, activity: BackendActivity, quiet: number, seconds: number): { lost: boolean; waiting: boolean; words: string } {
  const who = `the ${end.side}'s session (pid ${end.backend.pid})`
  if (activity.kind === 'gone') return { lost: true, waiting: false, words: `${who} has ended, and its connection never said so` }
  if (activity.kind === 'unreachable') return { lost: true, waiting: false, words: `the ${end.side} did not answer a new connection (${activity.error instanceof Error ? activity.error.message : String(activity.error)})` }
  if (activity.state === 'active' && activity.waitEventType === 'Client' && quiet >= seconds) {
    const what = activity.waitEvent === 'ClientWrite' ? 'waiting to send to this process' : 'waiting for data from this process'
    return { lost: false, waiting: true, words: `${who} is ${what} (${activity.waitEvent ?? 'Client'})` }
  }
  if (activity.state?.startsWith('idle') === true && activity.stateSeconds >= seconds) {
    return { lost: false, waiting: true, words: `${who} has waited ${Math.round(activity.stateSeconds)} s for this process's next statement` }
  }
  return { lost: false, waiting: false, words: `${who} is at work (${activity.state ?? 'unknown'}${activity.waitEvent ? `, ${activity.waitEvent}` : ''})` }
}
