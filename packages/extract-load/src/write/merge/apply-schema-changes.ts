import type pg from 'pg'
import { EltError, dropDependentViews, qualifiedName, quoteIdent, readDependentViews, recreateDependentViews, withLockWait, type LockWaitPolicy } from '@elt/core'
import { sourceName, targetName, type TableDef } from '../../introspect/catalog.ts'
import { isWidening } from './widened-type.ts'

/** A source change the raw table takes with `ALTER TABLE` before merging. */
export interface SchemaChange {
  sql: string
  /** `column "note" added`, `column "name": character varying(20) → character varying(50)`. */
  description: string
}

/**
 * Compares the source table (as discovered now) with its raw table and brings the raw table up to
 * it inside the caller's transaction: added columns are added (NULL in rows already there), widened
 * types (a longer varchar, text, a larger integer, more numeric precision) are altered, views on the
 * table are recreated around a type change. A change that cannot be applied without losing or
 * misreading data (a dropped or renamed column, a narrowed or otherwise changed type, a changed
 * primary key) fails the table, saying to run a full refresh of it. Takes its locks within `lockWait`.
 *
 * ```sql
 * ALTER TABLE "raw"."orders" ADD COLUMN "note" text;
 * ALTER TABLE "raw"."orders" ALTER COLUMN "name" TYPE character varying(50);
 * ```
 */
export async function applySchemaChanges(
  client: pg.ClientBase,
  table: TableDef,
  options: { sourceName: string; lockWait?: Partial<LockWaitPolicy> },
): Promise<SchemaChange[]> {
  const target = qualifiedName(table.targetSchema, table.name)
  const { rows: existing } = await client.query<{ name: string; type: string; generated: boolean }>(
    `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attgenerated <> '' as generated
       from pg_attribute a where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped order by a.attnum`,
    [target],
  )
  const { rows: keys } = await client.query<{ definition: string }>(`select pg_get_constraintdef(oid) as definition from pg_constraint where conrelid = $1::regclass and contype = 'p'`, [target])
  const refuse = (what: string) =>
    new EltError(`${sourceName(table)} changed in a way ${targetName(table)} cannot follow by merging: ${what}.`, {
      hint: `Nothing was changed. Copy the table again: pnpm elt replicate --full-refresh --select source:${options.sourceName}.${sourceName(table)}`,
    })
  const sourceColumns = table.columns.filter((c) => c.generated === null)
  const before = new Map(existing.filter((c) => !c.generated).map((c) => [c.name, c.type]))
  for (const name of before.keys()) {
    if (!sourceColumns.some((c) => c.name === name)) throw refuse(`column "${name}" was dropped or renamed in the source`)
  }
  const sourceKey = table.constraints.find((c) => c.kind === 'p')?.definition ?? null
  if ((keys[0]?.definition ?? null) !== sourceKey) throw refuse(`its primary key changed (${keys[0]?.definition ?? 'none'} → ${sourceKey ?? 'none'})`)
  const changes: SchemaChange[] = []
  for (const column of sourceColumns) {
    const type = before.get(column.name)
    if (type === undefined) {
      changes.push({ sql: `ALTER TABLE ${target} ADD COLUMN ${quoteIdent(column.name)} ${column.type}`, description: `column "${column.name}" added` })
    } else if (type !== column.type) {
      if (!isWidening(type, column.type)) throw refuse(`column "${column.name}" changed type ${type} → ${column.type}`)
      changes.push({ sql: `ALTER TABLE ${target} ALTER COLUMN ${quoteIdent(column.name)} TYPE ${column.type}`, description: `column "${column.name}": ${type} → ${column.type}` })
    }
  }
  if (changes.length === 0) return changes
  await withLockWait(client, { what: `alter ${targetName(table)} (${changes.map((c) => c.description).join(', ')})`, relations: () => [target], policy: options.lockWait }, async () => {
    const retyped = changes.some((c) => c.sql.includes(' TYPE '))
    const views = retyped ? await readDependentViews(client, target) : []
    await dropDependentViews(client, views)
    for (const change of changes) await client.query(change.sql)
    await recreateDependentViews(client, views, target)
  })
  return changes
}
