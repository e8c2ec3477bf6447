import type pg from 'pg'
import { qualifiedName, quoteIdent } from '@elt/core'
import { shadowNames } from '../ddl/shadow-names.ts'
import type { TableDef } from '../introspect/catalog.ts'
import { setLocalSearchPath } from '../introspect/search-path.ts'

interface DependentView {
  name: string
  materialized: boolean
  options: string | null
  definition: string
}

/**
 * Views (and materialized views) that depend on the current copy of a table, recursively,
 * in creation order, with fully qualified definitions (read with an empty `search_path`).
 */
async function dependentViews(client: pg.ClientBase, table: string): Promise<DependentView[]> {
  await setLocalSearchPath(client, null)
  const { rows } = await client.query<{ schema: string; name: string; kind: string; options: string | null; definition: string }>(
    `with recursive deps(oid) as (
       select r.ev_class from pg_depend d join pg_rewrite r on r.oid = d.objid
        where d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass
          and d.refobjid in (select to_regclass($1) union select relid from pg_partition_tree(to_regclass($1)))
       union
       select r.ev_class from deps join pg_depend d on d.refobjid = deps.oid and d.refclassid = 'pg_class'::regclass
         join pg_rewrite r on r.oid = d.objid
        where d.classid = 'pg_rewrite'::regclass and r.ev_class <> deps.oid
     )
     select distinct c.oid, n.nspname as schema, c.relname as name, c.relkind as kind,
            array_to_string(c.reloptions, ', ') as options, pg_get_viewdef(c.oid) as definition
       from deps join pg_class c on c.oid = deps.oid join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('v', 'm') and c.oid <> coalesce(to_regclass($1), 0)
      order by c.oid`,
    [table],
  )
  return rows.map((r) => ({
    name: qualifiedName(r.schema, r.name),
    materialized: r.kind === 'm',
    options: r.options,
    definition: r.definition.trim().replace(/;$/, ''),
  }))
}

/**
 * Swaps the loaded shadow table in, inside the caller's transaction: readers see the
 * previous copy until commit, then the new one. Views on the previous copy are recreated
 * on the new one (their definitions are kept, not lost to `CASCADE`).
 *
 * ```sql
 * select pg_advisory_xact_lock(hashtext('elt:replicate:swap'));
 * DROP TABLE IF EXISTS "raw"."films" CASCADE;
 * ALTER TABLE "raw"."elt_new_3f2a9c01d4" RENAME TO "films";
 * ALTER INDEX "raw"."elt_idx_3f2a9c01d4_0" RENAME TO "films_pkey";
 * CREATE VIEW "analytics"."stg_films" AS SELECT … FROM raw.films;
 * ```
 */
export async function swapTable(
  client: pg.ClientBase,
  table: TableDef,
  indexNames: readonly { tempName: string; finalName: string }[],
): Promise<{ viewsRecreated: number }> {
  const names = shadowNames(table.targetSchema, table.name)
  const target = qualifiedName(table.targetSchema, table.name)
  // One swap at a time: a view over two replicated tables is dropped and recreated by both swaps,
  // so the second must see the first's recreated view (read committed: each statement sees the latest commit).
  await client.query(`select pg_advisory_xact_lock(hashtext('elt:replicate:swap'))`)
  const views = await dependentViews(client, target)
  await setLocalSearchPath(client, table.targetSchema)
  await client.query(`DROP TABLE IF EXISTS ${target} CASCADE`)
  await client.query(`ALTER TABLE ${qualifiedName(table.targetSchema, names.table)} RENAME TO ${quoteIdent(table.name)}`)
  for (const p of table.partitions) {
    const shadow = names.partition(p.name)
    await client.query(`ALTER TABLE ${qualifiedName(table.targetSchema, shadow)} RENAME TO ${quoteIdent(p.name)}`)
    // Indexes PostgreSQL created on the partition for the parent's indexes are named after the shadow: `elt_new_…_pkey` → `measurements_2023_pkey`.
    const { rows } = await client.query<{ name: string }>(
      `select ic.relname as name from pg_index i join pg_class ic on ic.oid = i.indexrelid
        where i.indrelid = to_regclass($1) and starts_with(ic.relname, $2)`,
      [qualifiedName(table.targetSchema, p.name), shadow],
    )
    for (const r of rows) {
      await client.query(`ALTER INDEX ${qualifiedName(table.targetSchema, r.name)} RENAME TO ${quoteIdent(p.name + r.name.slice(shadow.length))}`)
    }
  }
  for (const i of indexNames) {
    await client.query(`ALTER INDEX ${qualifiedName(table.targetSchema, i.tempName)} RENAME TO ${quoteIdent(i.finalName)}`)
  }
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
  for (const v of views) {
    const kind = v.materialized ? 'MATERIALIZED VIEW' : 'VIEW'
    await client.query(`CREATE ${kind} ${v.name}${v.options ? ` WITH (${v.options})` : ''} AS ${v.definition}`)
  }
  return { viewsRecreated: views.length }
}
