import { describeError, EltError, ExitCode, exitCodeOf } from './elt-error.ts'
import { isServerFailure } from './pg-errors.ts'

/**
 * Whether the rest of a run is not attempted after `error`: a server or the network failed (see
 * `isServerFailure`: the rest would fail the same way, each after its own wait) or the command was
 * used wrongly. After any other failure (one table's data or shape) the rest goes on.
 *
 * ```ts
 * for (const table of tables) { try { await load(table) } catch (e) { failures.push(e); if (endsTheRun(e)) break } }
 * ```
 */
export function endsTheRun(error: unknown): boolean {
  return exitCodeOf(error) === ExitCode.usage || isServerFailure(error)
}

/** At most this many failures are spelled out in a combined error; the rest are counted. */
const shownFailures = 10

/**
 * One error for the failures of a run that went on after its first: the one failure as it is, or
 * every failure's paragraph under a line saying how many (the highest exit code).
 *
 * ```ts
 * throw combinedFailure([ordersError, nopkError], 'parts of the replication failed (the others ran)')
 * // error: 2 parts of the replication failed (the others ran):
 * //   public.orders changed in a way raw.orders cannot follow by merging: … Copy the table again: …
 * //   The cdc table public.nopk of source "postgres" has no primary key … ALTER TABLE "public"."nopk" REPLICA IDENTITY FULL;
 * ```
 */
export function combinedFailure(failures: readonly unknown[], what: string): unknown {
  if (failures.length === 1) return failures[0]
  const lines = failures.slice(0, shownFailures).map((f) => `  ${describeError(f).replaceAll('\n', '\n  ')}`)
  if (failures.length > shownFailures) lines.push(`  … and ${failures.length - shownFailures} more`)
  return new EltError(`${failures.length} ${what}:\n${lines.join('\n')}`, {
    exitCode: Math.max(...failures.map(exitCodeOf)) as ExitCode,
    cause: failures[0],
  })
}
