import type { ServerResponse } from 'node:http'

/** An error with the HTTP status the API answers with; its message is shown to the client as `{ error }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly hint?: string,
  ) {
    super(message)
    this.name = 'HttpError'
  }
}

/** `notFound('run "x"')` → 404 `{ error: 'No run "x".' }` */
export const notFound = (what: string): HttpError => new HttpError(404, `No ${what}.`)

/** Writes `body` as JSON with `status`. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  })
  response.end(text)
}
