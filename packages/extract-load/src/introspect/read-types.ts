import type pg from 'pg'
import type { UserTypeDef } from './catalog.ts'
import { mapSchema } from './schema-map.ts'
import { setLocalSearchPath } from './search-path.ts'
import { renderType, typeRefSql } from './type-ref.ts'

type Row = Record<string, unknown>

/**
 * The user-defined types (enums, domains, composite and range types) the given tables
 * depend on, directly or through arrays, domains, composite attributes and range subtypes,
 * in creation order (oid order: a type is created after the types it uses).
 */
export async function readUserTypes(client: pg.ClientBase, tableOids: readonly number[], targetSchema: string): Promise<UserTypeDef[]> {
  if (tableOids.length === 0) return []
  const { rows: needed } = await client.query<{ oid: string; schema: string }>(
    `with recursive needed(oid) as (
       select a.atttypid from pg_attribute a where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped
       union
       select dep.oid from needed join pg_type t on t.oid = needed.oid
       cross join lateral (
         select t.typelem as oid where t.typcategory = 'A' and t.typelem <> 0
         union all select t.typbasetype where t.typtype = 'd'
         union all select a.atttypid from pg_attribute a where t.typtype = 'c' and a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped
         union all select r.rngsubtype from pg_range r where t.typtype = 'r' and r.rngtypid = t.oid
       ) dep
     )
     select t.oid::int8 as oid, n.nspname as schema
       from needed join pg_type t on t.oid = needed.oid join pg_namespace n on n.oid = t.typnamespace
      where t.oid >= 16384 and t.typtype in ('e', 'd', 'c', 'r')
        and (t.typtype <> 'c' or exists (select 1 from pg_class c where c.oid = t.typrelid and c.relkind = 'c'))
      order by t.oid`,
    [tableOids.map(String)],
  )
  const out: UserTypeDef[] = []
  for (const schema of [...new Set(needed.map((r) => r.schema))]) {
    const oids = needed.filter((r) => r.schema === schema).map((r) => r.oid)
    await setLocalSearchPath(client, schema)
    const { rows } = await client.query<Row>(
      `select t.oid::int8 as oid, t.typname as name, t.typtype as kind, t.typnotnull as not_null,
              ${typeRefSql('coalesce(nullif(t.typbasetype, 0), r.rngsubtype, 0)', 'case when t.typtype = \'d\' then t.typtypmod else -1 end', 'base')},
              coalesce((select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid), '{}') as labels,
              case when t.typtype = 'd' then t.typdefault end as default_expr,
              coalesce((select array_agg('CONSTRAINT ' || quote_ident(c.conname) || ' ' || pg_get_constraintdef(c.oid) order by c.conname)
                          from pg_constraint c where c.contypid = t.oid), '{}') as checks
         from pg_type t left join pg_range r on r.rngtypid = t.oid
        where t.oid = any($1::oid[]) order by t.oid`,
      [oids],
    )
    const attributes = await client.query<Row>(
      `select t.oid::int8 as type_oid, a.attname as name, ${typeRefSql('a.atttypid', 'a.atttypmod', 'type')}
         from pg_type t join pg_attribute a on a.attrelid = t.typrelid
        where t.oid = any($1::oid[]) and t.typtype = 'c' and a.attnum > 0 and not a.attisdropped
        order by t.oid, a.attnum`,
      [oids],
    )
    for (const r of rows) {
      const kind = ({ e: 'enum', d: 'domain', c: 'composite', r: 'range' } as const)[r.kind as 'e' | 'd' | 'c' | 'r']
      const clauses: string[] = []
      if (kind === 'domain') {
        if (r.default_expr != null) clauses.push(`DEFAULT ${r.default_expr as string}`)
        if (r.not_null) clauses.push('NOT NULL')
        clauses.push(...(r.checks as string[]))
      }
      out.push({
        oid: Number(r.oid),
        schema,
        targetSchema: mapSchema(schema, targetSchema),
        name: r.name as string,
        kind,
        labels: r.labels as string[],
        baseType: kind === 'domain' || kind === 'range' ? renderType(r, 'base', schema, targetSchema) : null,
        domainClauses: clauses,
        attributes: attributes.rows
          .filter((a) => Number(a.type_oid) === Number(r.oid))
          .map((a) => ({ name: a.name as string, type: renderType(a, 'type', schema, targetSchema) })),
      })
    }
  }
  return out.sort((a, b) => a.oid - b.oid)
}
