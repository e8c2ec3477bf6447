import type { Materialization } from '../define/relation.ts'

export type NodeStatus = 'success' | 'error' | 'skipped'

/** The outcome of one node in one run (the shape of `run_results.json` entries and `_elt.model_results` rows). */
export interface NodeResult {
  id: string
  name: string
  /** `model`, or whatever another component records (e.g. `test`). */
  kind: string
  materialized: Materialization | null
  status: NodeStatus
  startedAt: Date | null
  finishedAt: Date | null
  seconds: number
  rowsAffected: number | null
  message: string | null
  /** Worker (connection) number that ran it, 1-based; null when it never ran. */
  worker: number | null
  /** Failure count, for nodes that count failures (data tests). */
  failures?: number | null
}
