import type net from 'node:net'
import type pg from 'pg'

/** The parts of a `pg.Client` this project reads that pg does not type: its backend's pid and its socket. */
type ClientInternals = pg.Client & { processID?: number | null; connection?: { stream?: net.Socket } }

/** The backend pid of a connected client (pg sets it from the server's BackendKeyData); undefined before it connected. */
export function backendPid(client: pg.ClientBase): number | undefined {
  const pid = (client as ClientInternals).processID
  return typeof pid === 'number' && pid > 0 ? pid : undefined
}

/** The client's socket (the TLS socket once upgraded), for its byte count or to destroy it. */
export function socketOf(client: pg.ClientBase): net.Socket | undefined {
  return (client as ClientInternals).connection?.stream
}
