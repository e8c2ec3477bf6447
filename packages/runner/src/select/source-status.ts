import { EltError, ExitCode } from '@elt/core'
import type { AnyRelation } from '../define/relation.ts'

/**
 * The `source_status:` selector method (dbt's name): `source_status:fresher` matches the source
 * relations whose raw table received changes in the latest replication (`changed`, `schema.table`:
 * a full copy, or a cursor/CDC window with rows inserted, updated or deleted), so
 * `source_status:fresher+` selects the models downstream of them.
 *
 * ```ts
 * sourceStatusMatches(rawOrders, 'fresher', new Set(['raw.orders'])) // true
 * ```
 */
export function sourceStatusMatches(relation: AnyRelation, value: string, changed: ReadonlySet<string> | undefined): boolean {
  if (value !== 'fresher') {
    throw new EltError(`Invalid selector "source_status:${value}": the only status is "fresher".`, {
      hint: 'Use source_status:fresher+ to build the models downstream of the tables the latest replication changed.',
      exitCode: ExitCode.usage,
    })
  }
  if (changed === undefined) throw new Error('internal: a source_status: selector needs the changed tables (SelectOptions.changedSources)')
  return relation.kind === 'source' && changed.has(`${relation.schema}.${relation.name}`)
}
