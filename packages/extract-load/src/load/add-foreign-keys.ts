import type pg from 'pg'
import { describeError, qualifiedName, quoteIdent, type Logger } from '@elt/core'
import { addForeignKeyDdl } from '../ddl/foreign-key-ddl.ts'
import { sourceName, type ForeignKeyDef, type TableDef } from '../introspect/catalog.ts'
import { setLocalSearchPath } from '../introspect/search-path.ts'

/** A replicated relation (table or partition) with the keys the source declares on it. */
interface KeyedRelation {
  schema: string
  name: string
  partitioned: boolean
  keys: ForeignKeyDef[]
  table: TableDef
}

function keyedRelations(tables: readonly TableDef[]): KeyedRelation[] {
  return tables.flatMap((t) => [
    { schema: t.targetSchema, name: t.name, partitioned: t.partitionKey !== null, keys: t.foreignKeys, table: t },
    ...t.partitions.map((p) => ({ schema: t.targetSchema, name: p.name, partitioned: p.partitionKey !== null, keys: p.foreignKeys, table: t })),
  ])
}

/**
 * The `foreign-keys` step, once every table is in: makes the replicated tables' foreign keys
 * exactly the source's, and validated. The swaps already re-added them `NOT VALID` (see
 * `restoreTableLinks`); this adds any still missing (a table resumed from an interrupted run, a key
 * that could not be added before its referenced table was swapped), drops keys the source no
 * longer has, then `VALIDATE`s every key on or to a replicated table (a scan that does not block
 * readers) but those the source has `NOT VALID`. A key to a table outside the selection is skipped with a warning; a source key that
 * fails to validate fails the run, another (a key of a table outside the selection) only warns.
 * With `bestEffort` (after a failed run) it only validates what is there, and a key that fails
 * to validate is only logged.
 *
 * ```sql
 * ALTER TABLE "raw"."film_category" ADD CONSTRAINT "film_category_film_id_fkey" FOREIGN KEY (film_id) REFERENCES films(film_id) NOT VALID;
 * ALTER TABLE "raw"."film_category" DROP CONSTRAINT "film_category_old_fkey";
 * ALTER TABLE "raw"."film_category" VALIDATE CONSTRAINT "film_category_film_id_fkey";
 * ```
 */
export async function addForeignKeys(
  client: pg.ClientBase,
  tables: readonly TableDef[],
  logger: Logger,
  options: { bestEffort?: boolean } = {},
): Promise<number> {
  const relations = keyedRelations(tables)
  const names = relations.map((r) => qualifiedName(r.schema, r.name))
  const existing = async () =>
    (
      await client.query<{ schema: string; table: string; name: string; validated: boolean; outgoing: boolean }>(
        `select n.nspname as schema, c.relname as table, con.conname as name, con.convalidated as validated,
                con.conrelid = any(select to_regclass(x) from unnest($1::text[]) x) as outgoing
           from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
          where con.contype = 'f' and con.conparentid = 0
            and (con.conrelid = any(select to_regclass(x) from unnest($1::text[]) x) or con.confrelid = any(select to_regclass(x) from unnest($1::text[]) x))
          order by 1, 2`,
        [names],
      )
    ).rows.map((k) => ({ ...k, relation: qualifiedName(k.schema, k.table) }))

  const declared = new Set<string>()
  const notValid = new Set<string>() // `NOT VALID` in the source: left so
  let added = 0
  const before = options.bestEffort ? [] : await existing()
  for (const r of relations) {
    const relation = qualifiedName(r.schema, r.name)
    for (const key of r.keys) {
      if (!key.replicated) {
        if (!options.bestEffort) logger.warn(`${sourceName(r.table)}: foreign key ${key.name} references ${key.sourceRef}, which is not replicated; skipped`)
        continue
      }
      declared.add(`${relation} ${key.name}`)
      if (!key.validated) notValid.add(`${relation} ${key.name}`)
      if (options.bestEffort || before.some((k) => k.relation === relation && k.name === key.name)) continue
      await client.query('BEGIN')
      try {
        await setLocalSearchPath(client, r.schema)
        await client.query(addForeignKeyDdl(r, key, r.partitioned))
        await client.query('COMMIT')
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {})
        throw error
      }
      added++
    }
  }
  for (const k of before) {
    if (k.outgoing && !declared.has(`${k.relation} ${k.name}`)) {
      logger.info(`dropping foreign key ${k.name} of ${k.relation}: the source no longer has it`)
      await client.query(`ALTER TABLE ${k.relation} DROP CONSTRAINT ${quoteIdent(k.name)}`)
    }
  }
  for (const k of await existing()) {
    if (k.validated || notValid.has(`${k.relation} ${k.name}`)) continue
    try {
      await client.query(`ALTER TABLE ${k.relation} VALIDATE CONSTRAINT ${quoteIdent(k.name)}`)
    } catch (error) {
      if (!options.bestEffort && declared.has(`${k.relation} ${k.name}`)) throw error
      logger.warn(`could not validate foreign key ${k.name} of ${k.relation}: ${describeError(error)}`)
    }
  }
  return added
}
