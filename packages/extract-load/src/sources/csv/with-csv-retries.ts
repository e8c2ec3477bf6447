import { CsvInputError, type CsvProblem } from './csv-input-error.ts'
import type { CsvColumn, CsvDialect, CsvOnError } from './csv-source-options.ts'
import { widenForError } from './widen-for-error.ts'

/** How one attempt loads a CSV source: its columns' types, its dialect, and who parses the rows. */
export interface CsvLoadPlan {
  columns: readonly CsvColumn[]
  dialect: CsvDialect
  /** False: PostgreSQL parses the files (`csvCopySql`). True: Node does, keeping bad rows out (`onRejected`). */
  parseInNode: boolean
}

/** Bad-row problems the Node path can quarantine (a truncated file, a wrong header or encoding it cannot). */
const quarantinable: ReadonlySet<CsvProblem> = new Set(['type', 'ragged', 'quote', 'end-of-data', 'other'])

/**
 * Runs `attempt` (create the table, COPY every file; all in one transaction that a failure rolls
 * back) until it succeeds or fails for good:
 * - a value an INFERRED column cannot hold widens that column, a late non-UTF-8 byte switches a
 *   detected encoding to Latin-1 (`widenForError`), and the attempt runs again;
 * - with `onError: 'quarantine'`, the first attempt still lets PostgreSQL parse (clean files load
 *   at COPY speed); only when a file has a bad row does the next attempt parse in Node
 *   (`plan.parseInNode`) to keep the bad rows out.
 * Every change moves up a finite ladder, so the loop ends.
 *
 * ```ts
 * const { result, plan } = await withCsvRetries(description, 'quarantine', async ({ columns, dialect, parseInNode }) => {
 *   … begin; CREATE TABLE shadow (columns); copyCsvFile(…, parseInNode ? { onRejected } : {}) per file; commit …
 * }, (change) => log.info(change))
 * ```
 */
export async function withCsvRetries<T>(
  source: { columns: readonly CsvColumn[]; dialect: CsvDialect },
  onError: CsvOnError,
  attempt: (plan: CsvLoadPlan) => Promise<T>,
  onChange?: (change: string, error: CsvInputError) => void | Promise<void>,
): Promise<{ result: T; plan: CsvLoadPlan }> {
  let plan: CsvLoadPlan = { columns: source.columns, dialect: source.dialect, parseInNode: false }
  for (;;) {
    try {
      return { result: await attempt(plan), plan }
    } catch (error) {
      const next = nextCsvLoadPlan(error, plan, onError)
      if (!next) throw error
      plan = next.plan
      await onChange?.(next.change, error as CsvInputError)
    }
  }
}

/**
 * One step of {@link withCsvRetries}: the plan to load with after `error`, and what changed; or
 * `undefined` when the failure stands (the shared writer's CSV reader asks for its retries with it).
 *
 * ```ts
 * nextCsvLoadPlan(err, plan, 'fail') // { plan: { …plan, columns: [… amount: numeric …] }, change: 'column "amount": integer → numeric' }
 * ```
 */
export function nextCsvLoadPlan(error: unknown, plan: CsvLoadPlan, onError: CsvOnError): { plan: CsvLoadPlan; change: string } | undefined {
  const widened = widenForError(error, plan.columns, plan.dialect)
  if (widened) return { plan: { ...plan, columns: widened.columns, dialect: widened.dialect }, change: widened.change }
  if (onError === 'quarantine' && !plan.parseInNode && error instanceof CsvInputError && quarantinable.has(error.problem)) {
    return { plan: { ...plan, parseInNode: true }, change: 'bad rows: parsing in Node to quarantine them' }
  }
  return undefined
}
