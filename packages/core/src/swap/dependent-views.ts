import type pg from 'pg'
import { EltError } from '../elt-error.ts'
import { qualifiedName } from '../sql-ident.ts'
import { applyRelationAttributes, relationAttributesJson, relationKeyword, type RelationAttributes } from './relation-attributes.ts'
import { withSearchPath } from './with-search-path.ts'

/** A view or materialized view that depends on a relation, saved so it can be recreated after a swap. */
export interface DependentView {
  schema: string
  name: string
  kind: 'v' | 'm'
  /** `pg_get_viewdef`, every name schema-qualified. */
  definition: string
  /** The `WITH (…)` options: `"security_barrier" = 'true', "check_option" = 'local'`; null when none. */
  options: string | null
  /** A materialized view created `WITH NO DATA` stays unpopulated. */
  populated: boolean
  /** `CREATE INDEX` statements of a materialized view's indexes. */
  indexes: string[]
  attributes: RelationAttributes
}

/**
 * Views and materialized views that depend on `relation` (or on one of its partitions), directly or
 * through other views, parents before children, with everything needed to recreate them: definition,
 * `WITH` options, materialized views' indexes, owner, grants and comments. Definitions are read with
 * an empty `search_path` (set locally, then restored: call it inside a transaction), so every name in them is qualified.
 *
 * ```sql
 * with recursive deps(oid, depth) as (select r.ev_class, 1 from pg_depend d join pg_rewrite r on r.oid = d.objid where d.refobjid = to_regclass('"raw"."films"') …)
 * select n.nspname, c.relname, pg_get_viewdef(c.oid), … from deps join pg_class c on c.oid = deps.oid … order by max(depth), c.oid
 * ```
 */
export async function readDependentViews(client: pg.ClientBase, relation: string): Promise<DependentView[]> {
  const { rows } = await withSearchPath(client, '', () =>
    client.query<DependentView>(
      `with recursive roots(oid) as (
         select to_regclass($1) union select relid from pg_partition_tree(to_regclass($1))
       ), deps(oid, depth) as (
         select r.ev_class, 1 from pg_depend d join pg_rewrite r on r.oid = d.objid
          where d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass
            and d.refobjid in (select oid from roots) and r.ev_class <> d.refobjid
         union all
         select r.ev_class, deps.depth + 1 from deps
           join pg_depend d on d.refobjid = deps.oid and d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass
           join pg_rewrite r on r.oid = d.objid
          where r.ev_class <> deps.oid and deps.depth < 100
       )
       select n.nspname as schema, c.relname as name, c.relkind as kind, pg_get_viewdef(c.oid) as definition,
              (select string_agg(format('%I = %L', o.option_name, o.option_value), ', ') from pg_options_to_table(c.reloptions) o) as options,
              c.relispopulated as populated,
              array(select pg_get_indexdef(i.indexrelid) from pg_index i where i.indrelid = c.oid order by i.indexrelid) as indexes,
              ${relationAttributesJson} as attributes
         from (select oid, max(depth) as depth from deps group by oid) v
         join pg_class c on c.oid = v.oid join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('v', 'm') and c.oid not in (select oid from roots)
        order by v.depth, c.oid`,
      [relation],
    ),
  )
  return rows.map((view) => ({ ...view, definition: view.definition.trim().replace(/;$/, '') }))
}

/** Drops the saved views, children first: `DROP VIEW "analytics"."top_films"; DROP MATERIALIZED VIEW "analytics"."film_stats"`. */
export async function dropDependentViews(client: pg.ClientBase, views: readonly DependentView[]): Promise<void> {
  for (const view of [...views].reverse()) await client.query(`DROP ${relationKeyword(view.kind)} ${qualifiedName(view.schema, view.name)}`)
}

/**
 * Recreates the saved views, parents first, over the relation that replaced `replaced`, with their
 * options, indexes, owner, grants and comments. A view that no longer fits (it uses a column the new
 * relation lacks) fails with an `EltError` naming the relation, the view and what to do; the caller's
 * transaction must then be rolled back, which keeps the previous relation and its views.
 *
 * ```sql
 * CREATE VIEW "analytics"."active_users" WITH ("security_barrier" = 'true') AS SELECT users.id FROM raw.users WHERE …;
 * GRANT SELECT ON TABLE "analytics"."active_users" TO "bi_reader";
 * ```
 */
export async function recreateDependentViews(client: pg.ClientBase, views: readonly DependentView[], replaced: string): Promise<void> {
  for (const view of views) {
    const name = qualifiedName(view.schema, view.name)
    const options = view.options === null ? '' : ` WITH (${view.options})`
    const data = view.kind === 'm' && !view.populated ? ' WITH NO DATA' : ''
    try {
      await client.query(`CREATE ${relationKeyword(view.kind)} ${name}${options} AS ${view.definition}${data}`)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new EltError(`Could not replace ${replaced}: the ${view.kind === 'm' ? 'materialized view' : 'view'} ${name} depends on it and does not fit the new version (${reason}).`, {
        hint: `Nothing was changed: the previous ${replaced} and ${name} are still in place. Drop ${name} or change its definition to fit the new columns of ${replaced} (\`\\d+ ${name}\` shows it), or keep the column it needs under its old name, then rerun.`,
        cause: error,
      })
    }
    for (const index of view.indexes) await client.query(index)
    await applyRelationAttributes(client, name, view.attributes)
  }
}
