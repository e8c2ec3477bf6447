import type { CopyFormat } from './sources/source-reader.ts'
import type { StepName } from './steps.ts'

/** Typed progress events `replicate()` reports through `onEvent`; the CLI renders them. */
export type ReplicationEvent =
  | { type: 'step-started'; step: StepName }
  | { type: 'step-finished'; step: StepName; seconds: number }
  | { type: 'table-started'; source: string; target: string; worker: number; attempt: number; estimatedBytes: number; format: CopyFormat['kind'] }
  /** Rows and bytes that passed so far (counted in the stream; throttled to about 4 events a second per table). */
  | { type: 'table-progress'; source: string; target: string; rows: number; bytes: number; seconds: number }
  | { type: 'table-finished'; source: string; target: string; rows: number; bytes: number; seconds: number }
  /** A table an interrupted run copied (as of its snapshot taken at `snapshotAt`, ISO 8601), taken over instead of copied again. */
  | { type: 'table-resumed'; source: string; target: string; rows: number; bytes: number; fromRunId: string; snapshotAt: string | null }
  | { type: 'table-retried'; source: string; target: string; attempt: number; delaySeconds: number; reason: string }
  /** The table failed (past its retries) and keeps its previous copy; `reason`: the error's first sentence, without its hint. */
  | { type: 'table-failed'; source: string; target: string; reason: string }
