/** What the service reads from a child run's `--json` summary (every command prints one; fields vary by command). */
export interface RunSummary {
  runId?: string | null
  status?: string
  error?: string
  tables?: { source?: string; sourceName?: string; target?: string; rows?: number; rejected?: number; status?: string; error?: string }[]
  models?: { name?: string; status?: string; error?: string; message?: string }[]
  tests?: { id?: string; type?: string; model?: string; status?: string; failures?: number; message?: string; error?: string }[]
}

/** The summary printed on a child's stdout, or undefined when it printed none (a crash, a usage error). */
export function parseRunSummary(stdout: string): RunSummary | undefined {
  const text = stdout.trim()
  if (!text.startsWith('{')) return undefined
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as RunSummary) : undefined
  } catch {
    return undefined
  }
}

/** One failed table, model or test with its message, for alerts. */
export interface FailedPart {
  kind: 'table' | 'model' | 'test'
  name: string
  status: string
  message?: string
}

/**
 * The parts of a run that failed:
 * `failedParts({ models: [{ name: 'x', status: 'error', error: 'boom' }] })` → `[{ kind: 'model', name: 'x', status: 'error', message: 'boom' }]`.
 */
export function failedParts(summary: RunSummary | undefined): FailedPart[] {
  if (!summary) return []
  const bad = (status: string | undefined) => status === 'error' || status === 'fail' || status === 'failed'
  return [
    ...(summary.tables ?? []).filter((t) => bad(t.status)).map((t) => ({ kind: 'table' as const, name: t.target ?? t.source ?? '?', status: t.status!, message: t.error })),
    ...(summary.models ?? []).filter((m) => bad(m.status)).map((m) => ({ kind: 'model' as const, name: m.name ?? '?', status: m.status!, message: m.error ?? m.message })),
    ...(summary.tests ?? [])
      .filter((t) => bad(t.status))
      .map((t) => ({ kind: 'test' as const, name: t.id ?? '?', status: t.status!, message: t.message ?? t.error ?? (t.failures ? `${t.failures} failing row(s)` : undefined) })),
  ]
}
