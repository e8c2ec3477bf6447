import type pg from 'pg'
import { qualifiedName, quoteIdent, replaceRelation, type LockWaitPolicy } from '@elt/core'
import { shadowNames } from '../ddl/shadow-names.ts'
import { notValidChecksDdl } from '../ddl/table-ddl.ts'
import type { TableDef } from '../introspect/catalog.ts'
import { detachTableLinks, noTableLinks, restoreTableLinks } from './table-links.ts'
import { renamePartitionIndexes } from './rename-partition-indexes.ts'

/**
 * Swaps the loaded shadow table in, inside the caller's transaction: readers see the previous copy
 * until commit, then the new one. `replaceRelation` (from `@elt/core`) carries the previous copy's
 * owner, grants and comments over and recreates the views on it; it waits for readers of the previous
 * copy at most `lockWait` (a short `lock_timeout`, retried with backoff), then fails naming them, with
 * the previous copy intact. The foreign keys to and from the previous copy that `CASCADE` drops are
 * added back `NOT VALID` in the same transaction (`table-links.ts`), so every commit has them.
 *
 * ```sql
 * select pg_advisory_xact_lock(hashtext('elt:replicate:swap'));
 * SAVEPOINT elt_lock_wait; SET LOCAL lock_timeout = 1000;
 * ALTER SEQUENCE "raw"."films_film_id_seq" OWNED BY NONE;                    -- detachTableLinks
 * DROP VIEW "analytics"."stg_films";
 * DROP TABLE "raw"."films" CASCADE;
 * ALTER TABLE "raw"."elt_new_3f2a9c01d4" RENAME TO "films";
 * ALTER INDEX "raw"."elt_idx_3f2a9c01d4_0" RENAME TO "films_pkey";
 * ALTER TABLE "raw"."film_category" ADD CONSTRAINT "film_category_film_id_fkey" FOREIGN KEY (film_id) REFERENCES raw.films(film_id) NOT VALID;
 * ALTER SEQUENCE "raw"."films_film_id_seq" OWNED BY "raw"."films"."film_id";  -- restoreTableLinks
 * GRANT SELECT ON TABLE "raw"."films" TO "bi_reader";
 * CREATE VIEW "analytics"."stg_films" AS SELECT … FROM raw.films;
 * RELEASE SAVEPOINT elt_lock_wait;
 * ```
 */
export async function swapTable(
  client: pg.ClientBase,
  table: TableDef,
  indexNames: readonly { tempName: string; finalName: string }[],
  options: { lockWait?: Partial<LockWaitPolicy> } = {},
): Promise<{ viewsRecreated: number }> {
  const names = shadowNames(table.targetSchema, table.name)
  const target = qualifiedName(table.targetSchema, table.name)
  // One swap at a time: a view over two replicated tables is dropped and recreated by both swaps,
  // so the second must see the first's recreated view (read committed: each statement sees the latest commit).
  // Taken before the bounded lock wait: a swap waits here at most for the other swap's own bounded wait.
  await client.query(`select pg_advisory_xact_lock(hashtext('elt:replicate:swap'))`)
  let links = noTableLinks
  const install = async () => {
    await client.query(`ALTER TABLE ${qualifiedName(table.targetSchema, names.table)} RENAME TO ${quoteIdent(table.name)}`)
    for (const p of table.partitions) {
      const shadow = names.partition(p.name)
      await client.query(`ALTER TABLE ${qualifiedName(table.targetSchema, shadow)} RENAME TO ${quoteIdent(p.name)}`)
    }
    for (const i of indexNames) {
      await client.query(`ALTER INDEX ${qualifiedName(table.targetSchema, i.tempName)} RENAME TO ${quoteIdent(i.finalName)}`)
    }
    await renamePartitionIndexes(client, table)
    for (const sql of notValidChecksDdl(table)) await client.query(sql)
    for (const c of table.columns) {
      if (c.identity === null || c.identitySequenceName === null) continue
      const { rows } = await client.query<{ schema: string; name: string }>(
        `select n.nspname as schema, s.relname as name from pg_class s join pg_namespace n on n.oid = s.relnamespace
          where s.oid = pg_get_serial_sequence($1, $2)::regclass`,
        [target, c.name],
      )
      const seq = rows[0]
      if (seq && seq.name !== c.identitySequenceName.name) {
        await client.query(`ALTER SEQUENCE ${qualifiedName(seq.schema, seq.name)} RENAME TO ${quoteIdent(c.identitySequenceName.name)}`)
      }
    }
    await restoreTableLinks(client, table, links)
  }
  // CASCADE: foreign keys to and from the previous copy go with it (saved by `detachTableLinks`, added back by `restoreTableLinks`).
  const beforeDrop = async () => (links = await detachTableLinks(client, table)).locked
  return replaceRelation(client, { schema: table.targetSchema, name: table.name, install, beforeDrop, cascade: true, lockWait: options.lockWait })
}
