import type pg from 'pg'
import { sequenceOptionsOf, type SequenceDef } from './catalog.ts'
import { mapSchema } from './schema-map.ts'

/**
 * Sequences the given tables use through a column default (`serial`, `nextval(…)`) or
 * own (`OWNED BY`); identity sequences are handled with their column.
 *
 * ```sql
 * select … from pg_depend d join pg_sequence s on s.seqrelid = d.refobjid
 *  where d.classid = 'pg_attrdef'::regclass and d.objid in (select oid from pg_attrdef where adrelid = any($1)) …
 * ```
 */
export async function readSequences(client: pg.ClientBase, tableOids: readonly number[], targetSchema: string): Promise<SequenceDef[]> {
  if (tableOids.length === 0) return []
  const { rows } = await client.query<Record<string, string | boolean>>(
    `with used as (
       select d.refobjid as oid from pg_depend d join pg_attrdef ad on ad.oid = d.objid
        where d.classid = 'pg_attrdef'::regclass and d.refclassid = 'pg_class'::regclass and ad.adrelid = any($1::oid[])
       union
       select d.objid from pg_depend d
        where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass and d.deptype = 'a' and d.refobjid = any($1::oid[])
     )
     select n.nspname as schema, c.relname as name, format_type(s.seqtypid, null) as seq_type, s.seqstart::text as seq_start,
            s.seqincrement::text as seq_increment, s.seqmin::text as seq_min, s.seqmax::text as seq_max, s.seqcache::text as seq_cache, s.seqcycle as seq_cycle
       from used join pg_sequence s on s.seqrelid = used.oid
       join pg_class c on c.oid = s.seqrelid join pg_namespace n on n.oid = c.relnamespace
      order by n.nspname, c.relname`,
    [tableOids.map(String)],
  )
  return rows.map((r) => ({
    schema: r.schema as string,
    name: r.name as string,
    targetSchema: mapSchema(r.schema as string, targetSchema),
    options: sequenceOptionsOf(r),
  }))
}
