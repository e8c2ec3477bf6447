import { EltError, ExitCode } from '@elt/core'
import { sourceName, type TableDef } from '../../introspect/catalog.ts'
import type { SourcePlan } from '../../sources/source-reader.ts'
import { cursorColumns, type TableStrategy } from '../table-strategy.ts'
import type { SourceToLoad } from '../load-sources-options.ts'
import { primaryKeyColumns } from './primary-key-columns.ts'

const timeTypes = /^(date|timestamp(\(\d+\))?( with(out)? time zone)?)$/

/**
 * Each discovered table's settings from its source's `tables` (keyed `schema.table`), checked
 * against the source catalog: a table named there that the source does not have (unless the
 * command line narrowed the tables), cursor and key columns that do not exist, a cursor of a
 * non-built-in type, a `lookback` on a cursor that is not a date or timestamp, an `incremental`
 * table without `primaryKey` whose source table has no primary key: each a usage error (exit 2)
 * naming the table. `incremental` tables get `primaryKey` filled in from the source's key.
 */
export function tableStrategies(source: SourceToLoad, plan: SourcePlan, narrowed: boolean): Map<string, TableStrategy> {
  const configured = (source.config as { tables?: Record<string, TableStrategy> } | undefined)?.tables ?? {}
  const out = new Map<string, TableStrategy>()
  const byName = new Map(plan.tables.map((t) => [sourceName(t), t]))
  for (const [name, settings] of Object.entries(configured)) {
    const table = byName.get(name)
    if (!table) {
      if (narrowed) continue
      throw usage(`sources.${source.name}.tables names "${name}", which source "${source.name}" does not replicate.`, `Its tables: ${[...byName.keys()].join(', ') || 'none'}. Fix the name, or check its schemas/include/exclude.`)
    }
    out.set(name, checkStrategy(source.name, table, settings))
  }
  return out
}

function checkStrategy(source: string, table: TableDef, settings: TableStrategy): TableStrategy {
  if (settings.strategy !== 'incremental' && settings.strategy !== 'append') return settings
  const where = `${source}.${sourceName(table)} (strategy "${settings.strategy}")`
  const columns = new Map(table.columns.map((c) => [c.name, c]))
  const cursor = cursorColumns(settings)
  for (const name of cursor) {
    const column = columns.get(name)
    if (!column) throw usage(`${where}: cursor column "${name}" does not exist.`, `Its columns: ${[...columns.keys()].join(', ')}.`)
    if (!column.builtin) throw usage(`${where}: cursor column "${name}" is of type ${column.type}; a cursor must be of a built-in type (a timestamp, a number, text).`, 'Choose another cursor column, or strategy "full".')
  }
  if (settings.lookback !== undefined && !timeTypes.test(columns.get(cursor[0]!)!.type)) {
    throw usage(`${where}: lookback "${settings.lookback}" needs a date or timestamp cursor; "${cursor[0]}" is ${columns.get(cursor[0]!)!.type}.`, 'Remove lookback, or make a timestamp column the first cursor column.')
  }
  if (settings.strategy === 'append') return settings
  const key = settings.primaryKey ?? primaryKeyColumns(table)
  if (!key) throw usage(`${where}: the source table has no primary key, so the rows to update cannot be found.`, `Name the key columns: tables: { '${sourceName(table)}': { …, primaryKey: ['id'] } }.`)
  for (const name of key) {
    if (!columns.has(name)) throw usage(`${where}: primaryKey column "${name}" does not exist.`, `Its columns: ${[...columns.keys()].join(', ')}.`)
  }
  return { ...settings, primaryKey: key }
}

const usage = (message: string, hint: string) => new EltError(message, { hint, exitCode: ExitCode.usage })
