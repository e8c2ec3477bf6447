import type pg from 'pg'
import { describeError, qualifiedName, quoteIdent, type Logger } from '@elt/core'
import { sourceName, type ForeignKeyDef, type TableDef } from '../introspect/catalog.ts'
import { setLocalSearchPath } from '../introspect/search-path.ts'

/**
 * Adds the source's foreign keys between replicated tables once all data is in: `NOT VALID`
 * first (no scan, short lock), then `VALIDATE` (a scan that does not block readers).
 * A key to a table outside the selection is skipped with a warning. With `bestEffort` (after a
 * failed run) keys whose tables are missing are skipped and a key that fails is only logged.
 *
 * ```sql
 * ALTER TABLE "raw"."film_category" ADD CONSTRAINT "film_category_film_id_fkey" FOREIGN KEY (film_id) REFERENCES films(film_id) NOT VALID;
 * ALTER TABLE "raw"."film_category" VALIDATE CONSTRAINT "film_category_film_id_fkey";
 * ```
 */
export async function addForeignKeys(
  client: pg.ClientBase,
  tables: readonly TableDef[],
  logger: Logger,
  options: { bestEffort?: boolean } = {},
): Promise<number> {
  const selected = new Set(tables.map(sourceName))
  let added = 0
  for (const table of tables) {
    const target = qualifiedName(table.targetSchema, table.name)
    for (const fk of table.foreignKeys) {
      if (!selected.has(fk.sourceRef)) {
        if (!options.bestEffort) logger.warn(`${sourceName(table)}: foreign key ${fk.name} references ${fk.sourceRef}, which is not replicated; skipped`)
        continue
      }
      try {
        if (options.bestEffort) {
          const { rows } = await client.query<{ ok: boolean }>('select to_regclass($1) is not null and to_regclass($2) is not null as ok', [
            target,
            qualifiedName(fk.references.schema, fk.references.name),
          ])
          if (!rows[0]?.ok) continue
        }
        await addForeignKey(client, table, fk)
        added++
      } catch (error) {
        if (!options.bestEffort) throw error
        logger.warn(`could not restore foreign key ${fk.name} on ${target}: ${describeError(error)}`)
      }
    }
  }
  return added
}

async function addForeignKey(client: pg.ClientBase, table: TableDef, fk: ForeignKeyDef): Promise<void> {
  const target = qualifiedName(table.targetSchema, table.name)
  const notValid = fk.definition.endsWith(' NOT VALID')
  await client.query('BEGIN')
  try {
    await setLocalSearchPath(client, table.targetSchema)
    await client.query(`ALTER TABLE ${target} DROP CONSTRAINT IF EXISTS ${quoteIdent(fk.name)}`)
    await client.query(`ALTER TABLE ${target} ADD CONSTRAINT ${quoteIdent(fk.name)} ${fk.definition}${notValid ? '' : ' NOT VALID'}`)
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  }
  if (!notValid) await client.query(`ALTER TABLE ${target} VALIDATE CONSTRAINT ${quoteIdent(fk.name)}`)
}
