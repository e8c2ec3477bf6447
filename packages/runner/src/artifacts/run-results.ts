import type { NodeResult } from '../record/node-result.ts'

/** Bumped on any incompatible change; `packages/runner/schemas/run-results.schema.json` describes it. */
export const runResultsSchemaVersion = 1

export interface RunResults {
  schema_version: number
  run_id: string
  command: string
  target: { name: string; schema: string }
  status: 'success' | 'error' | 'cancelled'
  started_at: string
  finished_at: string
  elapsed_seconds: number
  results: {
    id: string
    name: string
    kind: string
    materialized: string | null
    status: NodeResult['status']
    started_at: string | null
    finished_at: string | null
    seconds: number
    rows_affected: number | null
    failures?: number | null
    message: string | null
    worker: number | null
  }[]
}

/** The `target/run_results.json` document for one run. */
export function buildRunResults(run: {
  runId: string
  command: string
  target: { name: string; schema: string }
  status: RunResults['status']
  startedAt: Date
  finishedAt: Date
  results: readonly NodeResult[]
}): RunResults {
  return {
    schema_version: runResultsSchemaVersion,
    run_id: run.runId,
    command: run.command,
    target: run.target,
    status: run.status,
    started_at: run.startedAt.toISOString(),
    finished_at: run.finishedAt.toISOString(),
    elapsed_seconds: (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000,
    results: run.results.map((r) => ({
      id: r.id,
      name: r.name,
      kind: r.kind,
      materialized: r.materialized,
      status: r.status,
      started_at: r.startedAt?.toISOString() ?? null,
      finished_at: r.finishedAt?.toISOString() ?? null,
      seconds: r.seconds,
      rows_affected: r.rowsAffected,
      ...(r.failures === undefined ? {} : { failures: r.failures }),
      message: r.message,
      worker: r.worker,
    })),
  }
}
