import type pg from 'pg'
import { connectClient, type DatabaseTarget } from './connect.ts'
import { backendPid, socketOf } from './pg-internals.ts'

/** A server session to ask about: the database it is on and its backend's process id. */
export interface BackendRef {
  target: DatabaseTarget
  pid: number
}

/**
 * What a session is doing, as its server says on a new connection:
 * - `gone`: no such backend, the session ended (its end of the connection never told ours);
 * - `unreachable`: a new connection failed or did not answer in time;
 * - `session`: its row in `pg_stat_activity`.
 */
export type BackendActivity =
  | { kind: 'gone' }
  | { kind: 'unreachable'; error: unknown }
  | { kind: 'session'; state: string | null; waitEventType: string | null; waitEvent: string | null; stateSeconds: number }

/** A session behind a connection of this process: its server, its pid, and what its socket has received so far (bytes). */
export interface BackendSession extends BackendRef {
  bytesReceived(): number
}

/**
 * The session behind a connected client (pg sets its pid from the server's BackendKeyData;
 * `bytesReceived` reads its socket, TLS or not); undefined before it connected.
 */
export function sessionOf(client: pg.Client, target: DatabaseTarget): BackendSession | undefined {
  const pid = backendPid(client)
  return pid === undefined ? undefined : { target, pid, bytesReceived: () => socketOf(client)?.bytesRead ?? 0 }
}

/**
 * Asks the server, on a new connection, what the session `ref.pid` is doing; bounded by
 * `timeoutSeconds` in all (a server that accepts TCP but never answers is `unreachable`).
 *
 * ```sql
 * select state, wait_event_type, wait_event, extract(epoch from clock_timestamp() - state_change)::float8 as state_seconds
 *   from pg_stat_activity where pid = $1
 * ```
 */
export async function backendActivity(ref: BackendRef, options: { timeoutSeconds?: number } = {}): Promise<BackendActivity> {
  const seconds = options.timeoutSeconds ?? 10
  return onNewConnection(checkConnection(ref.target, seconds / 2), seconds, async (client) => activityOf(await client.query<ActivityRow>(activitySql, [ref.pid]))).catch(
    (error: unknown): BackendActivity => ({ kind: 'unreachable', error }),
  )
}

/**
 * Ends the session `ref.pid` from a new connection (the same role may end its own sessions): a
 * session whose client is gone but whose server never noticed would otherwise hold its locks and
 * snapshot until TCP keepalive finds out, hours later. True when it was ended; bounded by
 * `timeoutSeconds`, never throws.
 *
 * ```sql
 * select pg_terminate_backend($1) as ended
 * ```
 */
export async function endBackend(ref: BackendRef, options: { timeoutSeconds?: number } = {}): Promise<boolean> {
  const seconds = options.timeoutSeconds ?? 10
  return onNewConnection(checkConnection(ref.target, seconds / 2), seconds, async (client) => {
    const { rows } = await client.query<{ ended: boolean }>('select pg_terminate_backend($1) as ended', [ref.pid])
    return rows[0]?.ended === true
  }).catch(() => false)
}

/**
 * Cancels the statement each of the sessions `pids` is running (`pg_cancel_backend`: the
 * statement fails with 57014, the session stays), from a new connection made by `connect` (theirs
 * are busy with those statements). For Ctrl-C: bounded by `timeoutSeconds`, never throws.
 *
 * ```sql
 * select pg_cancel_backend(pid) from unnest($1::int[]) as pid
 * ```
 */
export async function cancelBackends(connect: () => Promise<pg.Client>, pids: readonly number[], options: { timeoutSeconds?: number } = {}): Promise<void> {
  if (pids.length === 0) return
  await onNewConnection(connect, options.timeoutSeconds ?? 10, (client) => client.query('select pg_cancel_backend(pid) from unnest($1::int[]) as pid', [pids])).catch(() => {})
}

/** A connection to `target` for a short look or a signal, waiting at most `seconds` for the server. */
const checkConnection = (target: DatabaseTarget, seconds: number) => () => connectClient(target, { waitSeconds: seconds, applicationName: 'elt-stall-check' }) // its error names the server

/** `work` on a new connection made by `connect`, the connection closed after; rejects when it does not finish within `timeoutSeconds`. */
async function onNewConnection<T>(connect: () => Promise<pg.Client>, timeoutSeconds: number, work: (client: pg.Client) => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  let opened: pg.Client | undefined
  const run = async () => {
    const client = await connect()
    opened = client
    try {
      return await work(client)
    } finally {
      void client.end().catch(() => {})
    }
  }
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void opened?.end().catch(() => {}) // a query in flight: pg destroys the socket
      reject(new Error(`no answer within ${timeoutSeconds} s`))
    }, timeoutSeconds * 1000)
  })
  try {
    return await Promise.race([run(), timedOut])
  } finally {
    clearTimeout(timer)
  }
}

interface ActivityRow {
  state: string | null
  wait_event_type: string | null
  wait_event: string | null
  state_seconds: number | null
}

const activitySql = `select state, wait_event_type, wait_event, extract(epoch from clock_timestamp() - state_change)::float8 as state_seconds
  from pg_stat_activity where pid = $1`

function activityOf({ rows }: pg.QueryResult<ActivityRow>): BackendActivity {
  const row = rows[0]
  if (!row) return { kind: 'gone' }
  return { kind: 'session', state: row.state, waitEventType: row.wait_event_type, waitEvent: row.wait_event, stateSeconds: row.state_seconds ?? 0 }
}
