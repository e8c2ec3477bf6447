import pg from 'pg'
import { EltError, ExitCode } from './elt-error.ts'
import type { Logger } from './logger.ts'
import { classifyPgError, isTransientPgError } from './pg-errors.ts'
import { socketOf } from './pg-internals.ts'
import { passwordOf, redactSecrets } from './redact.ts'
import { sleep } from './retry.ts'
import { sslSettings } from './ssl-mode.ts'

/** A database the tool talks to, named for people ("source", "destination") and for config (its env var). */
export interface DatabaseTarget {
  label: string
  url: string
  /** Where the URL came from, named in errors (e.g. `SOURCE_DATABASE_URL`). */
  origin?: string
}

export interface ConnectOptions {
  /** How long to wait for a server that is not accepting connections yet. Default 30 s. */
  waitSeconds?: number
  applicationName?: string
  logger?: Logger
}

/** `host:port/database` of a URL, without user or password, for messages. */
export function describeTarget(target: DatabaseTarget): string {
  try {
    const u = new URL(target.url)
    const host = u.hostname || decodeURIComponent(u.searchParams.get('host') ?? 'localhost')
    return `${host}:${u.port || '5432'}${u.pathname || '/'}`
  } catch {
    return '(unparseable URL)'
  }
}

function userOf(target: DatabaseTarget): string {
  try {
    return decodeURIComponent(new URL(target.url).username) || '(default user)'
  } catch {
    return '(unknown user)'
  }
}

/** Checks the URL's shape before anything connects: a malformed URL is a configuration error (exit 2). */
export function assertValidUrl(target: DatabaseTarget): void {
  let parsed: URL
  try {
    parsed = new URL(target.url)
  } catch {
    throw new EltError(`The ${target.label} database URL${target.origin ? ` (${target.origin})` : ''} is not a valid URL.`, {
      hint: 'Use the form postgres://user:password@host:5432/database.',
      exitCode: ExitCode.usage,
    })
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new EltError(`The ${target.label} database URL${target.origin ? ` (${target.origin})` : ''} must start with postgres:// or postgresql://.`, {
      hint: 'Use the form postgres://user:password@host:5432/database.',
      exitCode: ExitCode.usage,
    })
  }
}

const isSslRefusal = (error: unknown) => error instanceof Error && /does not support SSL connections/.test(error.message)

const sslModeOf = (target: DatabaseTarget): string => {
  try {
    return sslSettings(target.url).mode
  } catch {
    return 'an unknown mode'
  }
}

/** Turns a driver error on connect into one paragraph naming the database and what to do. Never includes the password. */
export function connectionError(target: DatabaseTarget, error: unknown, waitedSeconds?: number): EltError {
  const where = describeTarget(target)
  const via = target.origin ? ` Check ${target.origin}.` : ''
  const raw = redactSecrets(error instanceof Error ? error.message : String(error), [passwordOf(target.url)])
  if (isSslRefusal(error)) {
    return new EltError(`The ${target.label} server at ${where} does not accept SSL connections, and the URL asks for sslmode=${sslModeOf(target)}.`, {
      hint: `Use sslmode=prefer or sslmode=disable for a server without SSL, or turn ssl on in its postgresql.conf.${via}`,
      cause: error,
    })
  }
  const code = (error as { code?: unknown } | undefined)?.code
  if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code)) {
    return new EltError(`The ${target.label} server's certificate at ${where} failed verification (sslmode=${sslModeOf(target)}): ${raw}.`, {
      hint: `Point sslrootcert at the certificate of the CA that signed it, or use sslmode=require to encrypt without verifying.${via}`,
      cause: error,
    })
  }
  switch (classifyPgError(error)) {
    case 'auth':
      return new EltError(`Could not log in to the ${target.label} database at ${where} as "${userOf(target)}": the server rejected the credentials.`, {
        hint: `Check the user name and password (the password is not shown here).${via}`,
        cause: error,
      })
    case 'missing-database':
      return new EltError(`The ${target.label} server at ${where} has no such database.`, {
        hint: `Create it, or fix the database name in the URL.${via}`,
        cause: error,
      })
    case 'unreachable':
    case 'transient':
      return new EltError(
        `Could not reach the ${target.label} database at ${where}${waitedSeconds ? ` after waiting ${waitedSeconds} s` : ''} (${raw}).`,
        { hint: `Is the server running and accepting TCP connections on that host and port?${via}`, cause: error },
      )
    default:
      return new EltError(`Could not connect to the ${target.label} database at ${where}: ${raw}.`, { hint: via.trim() || undefined, cause: error })
  }
}

/**
 * Opens a `pg.Client`, waiting (bounded) for a server that is starting up or not reachable yet.
 * Wrong credentials or a missing database fail at once; the error names the database, never the password.
 * The URL's `sslmode` is applied explicitly (see {@link sslSettings}): `prefer` and `allow` try
 * their second way when the first is refused.
 *
 * ```ts
 * const client = await connectClient({ label: 'source', url, origin: 'SOURCE_DATABASE_URL' }, { waitSeconds: 30 })
 * ```
 */
export async function connectClient(target: DatabaseTarget, options: ConnectOptions = {}): Promise<pg.Client> {
  return (await openClient(target, options)).client
}

/**
 * The pg settings that connect to `target` (the URL without its SSL parameters, and the `ssl`
 * that worked), for a `pg.Pool`: a pool cannot fall back from one SSL setting to another itself.
 *
 * ```ts
 * const pool = new pg.Pool({ ...(await negotiateClientConfig(target)), max: 4 })
 * ```
 */
export async function negotiateClientConfig(target: DatabaseTarget, options: ConnectOptions = {}): Promise<pg.ClientConfig> {
  const { client, config } = await openClient(target, options)
  await client.end()
  return config
}

const connectionFailures = new WeakMap<pg.ClientBase, Error>()

/**
 * The error a query on a client from {@link connectClient} failed with, or, when the connection was
 * lost while the client was idle (pg then says only `Client has encountered a connection error and
 * is not queryable`), the error that ended the connection, e.g. `terminating connection due to
 * administrator command` (SQLSTATE 57P01).
 */
export function connectionFailureOf(client: pg.ClientBase, error: unknown): unknown {
  const lost = connectionFailures.get(client)
  return lost && error instanceof Error && /not queryable/.test(error.message) ? lost : error
}

/** How long `end()` of a client from {@link connectClient} waits for the server to close the connection before it closes its socket itself. */
const endWaitMs = 5000

/**
 * `client.end()` bounded: pg's says goodbye and waits for the server to close the connection,
 * which a server or proxy that stopped answering never does; after {@link endWaitMs} the socket
 * is destroyed (the server ends the session when it notices).
 */
function boundEnd(client: pg.Client): pg.Client {
  const end = client.end.bind(client)
  const bounded = async (): Promise<void> => {
    let timer: NodeJS.Timeout | undefined
    const closed = end().catch(() => {})
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        socketOf(client)?.destroy()
        resolve()
      }, endWaitMs)
    })
    try {
      await Promise.race([closed, late])
    } finally {
      clearTimeout(timer)
    }
  }
  client.end = bounded as pg.Client['end']
  return client
}

async function openClient(target: DatabaseTarget, options: ConnectOptions): Promise<{ client: pg.Client; config: pg.ClientConfig }> {
  assertValidUrl(target)
  const ssl = sslSettings(target.url, target.origin ?? `the ${target.label} database URL`)
  const waitSeconds = options.waitSeconds ?? 30
  const deadline = Date.now() + waitSeconds * 1000
  let announced = false
  for (;;) {
    let failure: unknown
    let firstFailure: unknown
    for (const [index, attempt] of ssl.attempts.entries()) {
      const config: pg.ClientConfig = {
        connectionString: ssl.connectionString,
        ssl: attempt,
        application_name: options.applicationName ?? 'elt',
        connectionTimeoutMillis: Math.max(1000, Math.min(10_000, waitSeconds * 1000)),
        // a peer that vanishes without closing (host down, network cut) is found by TCP keepalive probes
        // (the first after 30 s idle; libuv 1.46 of Node 20 then sends 10 probes 1 s apart) instead of never
        keepAlive: true,
        keepAliveInitialDelayMillis: 30_000,
      }
      const client = boundEnd(new pg.Client(config))
      // A backend that dies while the client is idle emits 'error'; the next query fails with pg's
      // "not queryable", so the error is kept for connectionFailureOf to say what happened.
      client.on('error', (error) => {
        if (!connectionFailures.has(client)) connectionFailures.set(client, error)
      })
      try {
        await client.connect()
        return { client, config }
      } catch (error) {
        await client.end().catch(() => {})
        firstFailure ??= error
        // allow: when SSL, tried second, is not supported either, the first refusal says why.
        failure = index > 0 && isSslRefusal(error) ? firstFailure : error
        // prefer: the server refused SSL; allow: the server wants it. Not when it is unreachable.
        if (index + 1 < ssl.attempts.length && !isTransientPgError(error)) continue
        break
      }
    }
    const kind = classifyPgError(failure)
    if ((kind === 'transient' || kind === 'unreachable') && Date.now() < deadline) {
      if (!announced) options.logger?.info(`waiting for the ${target.label} database at ${describeTarget(target)} (up to ${waitSeconds} s)…`)
      announced = true
      await sleep(500)
      continue
    }
    throw connectionError(target, failure, kind === 'transient' || kind === 'unreachable' ? waitSeconds : undefined)
  }
}

/** Waits until the database accepts connections (see {@link connectClient}), then disconnects. */
export async function waitForDatabase(target: DatabaseTarget, options: ConnectOptions = {}): Promise<void> {
  const client = await connectClient(target, options)
  await client.end()
}
