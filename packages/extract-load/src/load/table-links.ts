import type pg from 'pg'
import { qualifiedName, quoteIdent } from '@elt/core'
import { addForeignKeyDdl } from '../ddl/foreign-key-ddl.ts'
import type { TableDef } from '../introspect/catalog.ts'
import { setLocalSearchPath } from '../introspect/search-path.ts'

/** What ties the previous copy of a table to others, saved before it is dropped. */
export interface TableLinks {
  /** Foreign keys of other relations to the previous copy, fully qualified (`DROP TABLE … CASCADE` drops them). */
  referencing: { schema: string; relation: string; partitioned: boolean; name: string; definition: string }[]
  /** The other relations the drop locks (those with keys to the previous copy, those its keys reference). */
  locked: string[]
}

/** Nothing to restore but the new table's own links: its first load. */
export const noTableLinks: TableLinks = { referencing: [], locked: [] }

/**
 * Called in the swap's transaction just before the previous copy is dropped, so that at every
 * commit the replicated tables keep their foreign keys: reads the foreign keys of other relations
 * that reference the previous copy (or its partitions) and releases the sequences its columns own
 * (a `serial`'s sequence would go with `DROP TABLE`). {@link restoreTableLinks} puts them back.
 *
 * ```sql
 * select … pg_get_constraintdef(con.oid) from pg_constraint con
 *  where con.contype = 'f' and con.confrelid in (select 'raw.films'::regclass union select relid from pg_partition_tree('raw.films'))
 * ALTER SEQUENCE "raw"."films_film_id_seq" OWNED BY NONE;
 * ```
 */
export async function detachTableLinks(client: pg.ClientBase, table: TableDef): Promise<TableLinks> {
  const target = qualifiedName(table.targetSchema, table.name)
  const tree = `(select to_regclass($1) union select relid from pg_partition_tree(to_regclass($1)))`
  await setLocalSearchPath(client, null) // definitions fully qualified
  const { rows: referencing } = await client.query<TableLinks['referencing'][number]>(
    `select n.nspname as schema, c.relname as relation, c.relkind = 'p' as partitioned, con.conname as name, pg_get_constraintdef(con.oid) as definition
       from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
      where con.contype = 'f' and con.conparentid = 0 and con.confrelid in ${tree} and con.conrelid not in ${tree}
      order by 1, 2, 4`,
    [target],
  )
  const { rows: referenced } = await client.query<{ schema: string; name: string }>(
    `select distinct n.nspname as schema, c.relname as name
       from pg_constraint con join pg_class c on c.oid = con.confrelid join pg_namespace n on n.oid = c.relnamespace
      where con.contype = 'f' and con.conrelid in ${tree} and con.confrelid not in ${tree}`,
    [target],
  )
  const { rows: owned } = await client.query<{ schema: string; name: string }>(
    `select n.nspname as schema, s.relname as name
       from pg_depend d join pg_class s on s.oid = d.objid and s.relkind = 'S' join pg_namespace n on n.oid = s.relnamespace
      where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass and d.deptype = 'a' and d.refobjid in ${tree}`,
    [target],
  )
  for (const s of owned) await client.query(`ALTER SEQUENCE ${qualifiedName(s.schema, s.name)} OWNED BY NONE`)
  const locked = [...referencing.map((r) => qualifiedName(r.schema, r.relation)), ...referenced.map((r) => qualifiedName(r.schema, r.name))]
  return { referencing, locked: [...new Set(locked)] }
}

/**
 * After the new copy is renamed in (same transaction): adds each `NOT VALID` (checked as added on
 * a partitioned table), in a savepoint, the keys saved by {@link detachTableLinks}, the table's own
 * keys (and its partitions') to replicated tables that exist, and the replicated relations' keys to
 * it (`referencedBy`); then sets the source's `OWNED BY` on its sequences. A key that cannot be
 * added yet (a column or a referenced row is missing) is left to the `foreign-keys` step, which
 * adds and validates every key; it is returned.
 *
 * ```sql
 * SAVEPOINT elt_key; ALTER TABLE "raw"."film_category" ADD CONSTRAINT "film_category_film_id_fkey" FOREIGN KEY (film_id) REFERENCES raw.films(film_id) NOT VALID; RELEASE SAVEPOINT elt_key;
 * ALTER SEQUENCE "raw"."films_film_id_seq" OWNED BY "raw"."films"."film_id";
 * ```
 */
export async function restoreTableLinks(client: pg.ClientBase, table: TableDef, links: TableLinks): Promise<{ relation: string; name: string; reason: string }[]> {
  const target = qualifiedName(table.targetSchema, table.name)
  const skipped: { relation: string; name: string; reason: string }[] = []
  const add = async (relation: { schema: string; name: string }, key: { name: string; definition: string }, partitioned: boolean) => {
    await setLocalSearchPath(client, relation.schema) // a replicated key names same-schema tables unqualified
    await client.query('SAVEPOINT elt_key')
    try {
      await client.query(addForeignKeyDdl(relation, key, partitioned))
      await client.query('RELEASE SAVEPOINT elt_key')
    } catch (error) {
      // a lock timeout, a lost connection, …: not this key's fault, the caller retries or fails the swap
      if (!isDefinitionError(error)) throw error
      await client.query('ROLLBACK TO SAVEPOINT elt_key')
      skipped.push({ relation: qualifiedName(relation.schema, relation.name), name: key.name, reason: error instanceof Error ? error.message : String(error) })
    }
  }
  const exists = async (relation: { schema: string; name: string }, key?: string) => {
    const { rows } = await client.query<{ ok: boolean }>(
      `select case when $2::text is null then to_regclass($1) is not null
                   else exists (select 1 from pg_constraint where conrelid = to_regclass($1) and conname = $2) end as ok`,
      [qualifiedName(relation.schema, relation.name), key ?? null],
    )
    return rows[0]?.ok === true
  }
  for (const r of links.referencing) await add({ schema: r.schema, name: r.relation }, r, r.partitioned)
  const own = [{ name: table.name, partitioned: table.partitionKey !== null, keys: table.foreignKeys }, ...table.partitions.map((p) => ({ name: p.name, partitioned: p.partitionKey !== null, keys: p.foreignKeys }))]
  for (const r of own) {
    for (const key of r.keys) if (key.replicated && (await exists(key.references))) await add({ schema: table.targetSchema, name: r.name }, key, r.partitioned)
  }
  for (const k of table.referencedBy) {
    if ((await exists(k.relation)) && !(await exists(k.relation, k.key.name))) await add(k.relation, k.key, k.partitioned)
  }
  await setLocalSearchPath(client, table.targetSchema)
  for (const c of table.columns) {
    for (const s of c.ownedSequences) await client.query(`ALTER SEQUENCE ${qualifiedName(s.schema, s.name)} OWNED BY ${target}.${quoteIdent(c.name)}`)
  }
  return skipped
}

/** An error the key itself causes: a row without its referenced row (class 23), a missing column or unique key (class 42). */
function isDefinitionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && (code.startsWith('23') || code.startsWith('42'))
}
