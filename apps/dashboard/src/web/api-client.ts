/** Typed fetches of the dashboard's own JSON API. */
export type { LineageView, LineageViewNode, LineageViewEdge } from '../lineage/lineage-view.ts'
export type { ColumnLineage, NodeDetail, TestDetail } from '../server/dashboard-api.ts'
export type { TestList, TestRow } from '../tests/test-overview.ts'
export type { RunTimeline, TimelineStep } from '../runs/run-timeline.ts'
export type { RunSummary, LineageNode, TestDefinition } from '../data/dashboard-source.ts'

/** A non-2xx answer of the API, with its `{ error, hint }` as the message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** `getJson('/api/lineage', { select: '1+film_ratings+1' })` → the parsed body, or throws `ApiError`. */
export async function getJson<T>(path: string, params: Record<string, string | undefined> = {}): Promise<T> {
  const query = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) if (value) query.set(name, value)
  const response = await fetch(query.size > 0 ? `${path}?${query}` : path)
  const body = (await response.json()) as T & { error?: string; hint?: string }
  if (!response.ok) throw new ApiError(response.status, [body.error, body.hint].filter(Boolean).join(' '))
  return body
}
