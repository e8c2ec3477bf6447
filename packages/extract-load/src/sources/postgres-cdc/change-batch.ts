import { qualifiedName, quoteIdent } from '@elt/core'

/** A destination table as the applier knows it: its name and each column's type (`format_type`). */
export interface TargetTable {
  schema: string
  name: string
  /** Column name → destination type, in the table's order. */
  types: Map<string, string>
  /** Columns that identify a row (the source's replica identity key); empty: every column (REPLICA IDENTITY FULL). */
  key: string[]
}

/** One row change in text form: undefined = not sent (an unchanged TOASTed value), null = NULL. */
export type Row = Record<string, string | null | undefined>

/** Consecutive changes of one kind on one table with the same columns: one set-based statement. */
export interface ChangeBatch {
  kind: 'insert' | 'update' | 'delete'
  table: TargetTable
  /** insert: the columns set; update: the columns set (those that came); delete: unused. */
  columns: string[]
  /** update/delete: the identifying columns. */
  keyColumns: string[]
  rows: { values: (string | null)[]; key: (string | null)[] }[]
  /** Keys already in the batch (an update of the same row twice must be two statements). */
  seen: Set<string>
}

const cast = (table: TargetTable, column: string, expression: string) => `${expression}::${table.types.get(column) ?? 'text'}`

/**
 * The statement applying a batch, its parameters one text array per column (`unnest` zips them).
 *
 * ```sql
 * insert into "raw"."accounts" ("id", "name") overriding system value select u."id"::integer, u."name"::text from unnest($1::text[], $2::text[]) as u("id", "name")
 * update "raw"."accounts" as t set "name" = u."name"::text from unnest($1::text[], $2::text[]) as u("name", "k_id") where t."id" = u."k_id"::integer
 * delete from "raw"."accounts" as t using unnest($1::text[]) as u("k_id") where t."id" = u."k_id"::integer
 * ```
 * A table without a key (REPLICA IDENTITY FULL) has no set-based form: one statement per row
 * matches one row with every old value (`IS NOT DISTINCT FROM`, `ctid … limit 1`).
 */
export function batchStatements(batch: ChangeBatch): { text: string; values: unknown[] }[] {
  const target = qualifiedName(batch.table.schema, batch.table.name)
  const keyAlias = (k: string) => quoteIdent(`k_${k}`)
  if (batch.kind === 'insert') {
    const list = batch.columns.map(quoteIdent).join(', ')
    const selects = batch.columns.map((c) => cast(batch.table, c, `u.${quoteIdent(c)}`)).join(', ')
    const params = batch.columns.map((_, i) => `$${i + 1}::text[]`).join(', ')
    return [{ text: `insert into ${target} (${list}) overriding system value select ${selects} from unnest(${params}) as u(${list})`, values: batch.columns.map((_, i) => batch.rows.map((r) => r.values[i])) }]
  }
  if (batch.table.key.length === 0) return batch.rows.map((row) => rowStatement(batch, target, row))
  const sets = batch.kind === 'update' ? batch.columns : []
  const aliases = [...sets.map(quoteIdent), ...batch.keyColumns.map(keyAlias)]
  const params = aliases.map((_, i) => `$${i + 1}::text[]`).join(', ')
  const match = batch.keyColumns.map((k) => `t.${quoteIdent(k)} = ${cast(batch.table, k, `u.${keyAlias(k)}`)}`).join(' and ')
  const values = [...sets.map((_, i) => batch.rows.map((r) => r.values[i])), ...batch.keyColumns.map((_, i) => batch.rows.map((r) => r.key[i]))]
  const from = `unnest(${params}) as u(${aliases.join(', ')})`
  if (batch.kind === 'delete') return [{ text: `delete from ${target} as t using ${from} where ${match}`, values }]
  const assignments = sets.map((c) => `${quoteIdent(c)} = ${cast(batch.table, c, `u.${quoteIdent(c)}`)}`).join(', ')
  return [{ text: `update ${target} as t set ${assignments} from ${from} where ${match}`, values }]
}

/** One row of a table without a key: the first row equal to the old values in every sent column. */
function rowStatement(batch: ChangeBatch, target: string, row: ChangeBatch['rows'][number]): { text: string; values: unknown[] } {
  const sets = batch.kind === 'update' ? batch.columns : []
  const values: unknown[] = [...row.values.slice(0, sets.length)]
  const match = batch.keyColumns.map((k, i) => {
    values.push(row.key[i])
    return `${quoteIdent(k)} is not distinct from ${cast(batch.table, k, `$${values.length}::text`)}`
  })
  const pick = `ctid = (select ctid from ${target} where ${match.join(' and ') || 'true'} limit 1)`
  if (batch.kind === 'delete') return { text: `delete from ${target} where ${pick}`, values }
  const assignments = sets.map((c, i) => `${quoteIdent(c)} = ${cast(batch.table, c, `$${i + 1}::text`)}`).join(', ')
  return { text: `update ${target} set ${assignments} where ${pick}`, values }
}
