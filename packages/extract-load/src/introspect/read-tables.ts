import type pg from 'pg'
import { qualifiedName } from '@elt/core'
import { sequenceOptionsOf, type ColumnDef, type ConstraintDef, type ForeignKeyDef, type IndexDef, type PartitionDef, type TableDef } from './catalog.ts'
import { mapSchema } from './schema-map.ts'
import { setLocalSearchPath } from './search-path.ts'
import { renderType, typeRefSql } from './type-ref.ts'

type Row = Record<string, unknown>

/**
 * Top-level tables (ordinary and partitioned, not partitions) of the given schemas.
 *
 * ```sql
 * select c.oid, n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
 *  where n.nspname = any($1) and c.relkind in ('r', 'p') and not c.relispartition   -- $1 = '{public}'
 * ```
 */
export async function listTables(client: pg.ClientBase, schemas: readonly string[]): Promise<{ oid: number; schema: string; name: string }[]> {
  const { rows } = await client.query<{ oid: string; schema: string; name: string }>(
    `select c.oid::int8 as oid, n.nspname as schema, c.relname as name
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any($1::text[]) and c.relkind in ('r', 'p') and not c.relispartition
      order by n.nspname, c.relname`,
    [schemas],
  )
  return rows.map((r) => ({ oid: Number(r.oid), schema: r.schema, name: r.name }))
}

/**
 * Reads everything needed to recreate the given tables of one source schema: columns
 * (exact types, NOT NULL, defaults, identity, generated, owned sequences), constraints,
 * indexes, foreign keys, persistence and partitions — with what each partition declares
 * itself. Runs with `search_path` = `schema`. `isReplicated(schema, name)` tells whether a
 * referenced table is part of the run.
 *
 * ```sql
 * select set_config('search_path', quote_ident($1), true);                           -- $1 = 'public'
 * select a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity, …
 *   from pg_attribute a … where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped
 * select con.conname, con.contype, pg_get_constraintdef(con.oid) … from pg_constraint con
 *  where con.conrelid = any($1::oid[]) and con.conparentid = 0                         -- tables and partitions
 * ```
 */
export async function readTables(
  client: pg.ClientBase,
  schema: string,
  oids: readonly number[],
  targetSchema: string,
  isReplicated: (schema: string, name: string) => boolean = () => true,
): Promise<TableDef[]> {
  if (oids.length === 0) return []
  await setLocalSearchPath(client, schema)
  const mapped = mapSchema(schema, targetSchema)
  const param = [oids.map(String)]
  const tables = await client.query<Row>(
    `select c.oid::int8 as oid, c.relname as name, c.relpersistence = 'u' as unlogged, array_to_string(c.reloptions, ', ') as options,
            case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end as partition_key,
            (select coalesce(sum(pg_total_relation_size(r.oid)), 0) from (select c.oid union select relid from pg_partition_tree(c.oid)) r(oid))::int8 as bytes
       from pg_class c where c.oid = any($1::oid[]) order by c.oid`,
    param,
  )
  const columns = await client.query<Row>(
    `select a.attrelid::int8 as table_oid, a.attname as name, ${typeRefSql('a.atttypid', 'a.atttypmod', 'type')},
            a.atttypid < 16384 as builtin, a.attnotnull as not_null,
            case when a.attgenerated = '' then pg_get_expr(d.adbin, d.adrelid) end as default_expr,
            case when a.attgenerated = 's' then pg_get_expr(d.adbin, d.adrelid) end as generated,
            a.attidentity as identity, nullif(a.attstattarget, -1) as statistics,
            case when a.attstorage <> t.typstorage then a.attstorage end as storage, nullif(a.attcompression, '') as compression,
            case when a.attcollation <> 0 and a.attcollation <> t.typcollation
                 then quote_ident(cn.nspname) || '.' || quote_ident(co.collname) end as collation,
            format_type(s.seqtypid, null) as seq_type, s.seqstart::text as seq_start, s.seqincrement::text as seq_increment,
            sn.nspname as seq_schema, sc.relname as seq_name, s.seqmin::text as seq_min, s.seqmax::text as seq_max, s.seqcache::text as seq_cache, s.seqcycle as seq_cycle,
            (select coalesce(jsonb_agg(jsonb_build_object('schema', on_.nspname, 'name', oc.relname) order by oc.relname), '[]')
               from pg_depend od join pg_class oc on oc.oid = od.objid and oc.relkind = 'S' join pg_namespace on_ on on_.oid = oc.relnamespace
              where a.attidentity = '' and od.classid = 'pg_class'::regclass and od.refclassid = 'pg_class'::regclass
                and od.refobjid = a.attrelid and od.refobjsubid = a.attnum and od.deptype = 'a') as owned_sequences
       from pg_attribute a
       join pg_type t on t.oid = a.atttypid
       left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
       left join pg_collation co on co.oid = a.attcollation
       left join pg_namespace cn on cn.oid = co.collnamespace
       left join pg_depend dd on a.attidentity <> '' and dd.refobjid = a.attrelid and dd.refobjsubid = a.attnum
            and dd.classid = 'pg_class'::regclass and dd.refclassid = 'pg_class'::regclass and dd.deptype = 'i'
       left join pg_sequence s on s.seqrelid = dd.objid
       left join pg_class sc on sc.oid = s.seqrelid
       left join pg_namespace sn on sn.oid = sc.relnamespace
      where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped
      order by a.attrelid, a.attnum`,
    param,
  )
  const partitions = await client.query<Row>(
    `with recursive parts as (
       select i.inhrelid as oid, i.inhparent as parent, c0.oid as root, 1 as depth
         from pg_inherits i join pg_class c0 on c0.oid = i.inhparent
        where i.inhparent = any($1::oid[])
       union all
       select i.inhrelid, i.inhparent, p.root, p.depth + 1 from pg_inherits i join parts p on i.inhparent = p.oid
     )
     select p.root::int8 as table_oid, c.oid::int8 as oid, c.relname as name, pc.relname as parent, pg_get_expr(c.relpartbound, c.oid) as bound,
            case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end as partition_key, c.relpersistence = 'u' as unlogged,
            array_to_string(c.reloptions, ', ') as options
       from parts p join pg_class c on c.oid = p.oid join pg_class pc on pc.oid = p.parent
      where c.relispartition
      order by p.depth, c.relname`,
    param,
  )
  const partitionColumns = await client.query<Row>(
    `select a.attrelid::int8 as table_oid, a.attname as name, a.attnotnull as not_null,
            case when a.attgenerated = '' then pg_get_expr(d.adbin, d.adrelid) end as default_expr
       from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped
      order by a.attrelid, a.attnum`,
    [partitions.rows.map((r) => String(r.oid))],
  )
  // constraints, indexes and foreign keys of the tables and of their partitions: a partition's
  // own only (those cloned from its parent have a parent constraint / are partitions of an index)
  const relations = [[...oids.map(String), ...partitions.rows.map((r) => String(r.oid))]]
  const constraints = await client.query<Row>(
    `select con.conrelid::int8 as table_oid, con.conname as name, con.contype as kind, pg_get_constraintdef(con.oid) as definition, con.convalidated as validated,
            rn.nspname as ref_schema, rc.relname as ref_name, quote_ident(rn.nspname) || '.' || quote_ident(rc.relname) as ref_qualified
       from pg_constraint con
       join pg_class c on c.oid = con.conrelid
       left join pg_class rc on rc.oid = con.confrelid
       left join pg_namespace rn on rn.oid = rc.relnamespace
      where con.conrelid = any($1::oid[]) and con.contype in ('p', 'u', 'x', 'c', 'f') and con.conparentid = 0
        and (not c.relispartition or con.contype <> 'c' or con.coninhcount = 0)
      order by con.conrelid, con.contype, con.conname`,
    relations,
  )
  const indexes = await client.query<Row>(
    `select i.indrelid::int8 as table_oid, ic.relname as name, i.indisunique as unique, pg_get_indexdef(i.indexrelid) as def,
            quote_ident(ic.relname) as quoted_name, quote_ident(tn.nspname) || '.' || quote_ident(tc.relname) as quoted_table,
            (select pi.relname from pg_inherits h join pg_class pi on pi.oid = h.inhparent where h.inhrelid = i.indexrelid) as parent_index,
            exists (select 1 from pg_constraint c where c.conindid = i.indexrelid and c.conrelid = i.indrelid and c.contype in ('p', 'u', 'x')) as backs_constraint
       from pg_index i
       join pg_class ic on ic.oid = i.indexrelid
       join pg_class tc on tc.oid = i.indrelid
       join pg_namespace tn on tn.oid = tc.relnamespace
      where i.indrelid = any($1::oid[])
      order by i.indrelid, ic.relname`,
    relations,
  )

  const byTable = <T>(rows: Row[], map: (r: Row) => T | undefined): Map<number, T[]> => {
    const out = new Map<number, T[]>()
    for (const r of rows) {
      const value = map(r)
      if (value === undefined) continue
      const key = Number(r.table_oid)
      out.set(key, [...(out.get(key) ?? []), value])
    }
    return out
  }
  const columnsOf = byTable<ColumnDef>(columns.rows, (r) => ({
    name: r.name as string,
    type: renderType(r, 'type', schema, targetSchema),
    builtin: r.builtin as boolean,
    notNull: r.not_null as boolean,
    default: (r.default_expr as string | null) ?? null,
    generated: (r.generated as string | null) ?? null,
    identity: r.identity === 'a' ? 'always' : r.identity === 'd' ? 'by default' : null,
    identitySequence: r.seq_type == null ? null : sequenceOptionsOf(r),
    identitySequenceName: r.seq_name == null ? null : { schema: r.seq_schema as string, name: r.seq_name as string },
    collation: (r.collation as string | null) ?? null,
    statistics: (r.statistics as number | null) ?? null,
    storage: r.storage == null ? null : ({ p: 'plain', e: 'external', x: 'extended', m: 'main' } as Record<string, string>)[r.storage as string] ?? null,
    compression: r.compression == null ? null : ({ p: 'pglz', l: 'lz4' } as Record<string, string>)[r.compression as string] ?? null,
    ownedSequences: (r.owned_sequences as { schema: string; name: string }[]).map((q) => ({ schema: mapSchema(q.schema, targetSchema), name: q.name })),
  }))
  const constraintsOf = byTable<ConstraintDef>(constraints.rows, (r) =>
    r.kind === 'f' ? undefined : { name: r.name as string, kind: r.kind as ConstraintDef['kind'], definition: r.definition as string },
  )
  const foreignKeysOf = byTable<ForeignKeyDef>(constraints.rows, (r) => {
    if (r.kind !== 'f') return undefined
    const refSchema = r.ref_schema as string
    const refName = r.ref_name as string
    const references = { schema: mapSchema(refSchema, targetSchema), name: refName }
    let definition = r.definition as string
    if (refSchema !== schema) {
      definition = definition.replace(`REFERENCES ${r.ref_qualified as string}(`, `REFERENCES ${qualifiedName(references.schema, references.name)}(`)
    }
    return {
      name: r.name as string,
      definition,
      references,
      sourceRef: `${refSchema}.${refName}`,
      replicated: isReplicated(refSchema, refName),
      validated: r.validated as boolean,
    }
  })
  // an index backing a primary key, unique or exclusion constraint is built with its constraint
  const indexesOf = byTable<IndexDef>(indexes.rows, (r) => {
    if (r.parent_index !== null || r.backs_constraint) return undefined
    const def = r.def as string
    const head = `CREATE ${r.unique ? 'UNIQUE ' : ''}INDEX ${r.quoted_name as string} ON `
    let rest = def.startsWith(head) ? def.slice(head.length) : undefined
    if (rest?.startsWith('ONLY ')) rest = rest.slice('ONLY '.length)
    const table = `${r.quoted_table as string} `
    if (rest === undefined || !rest.startsWith(table)) throw new Error(`unexpected index definition: ${def}`)
    return { name: r.name as string, unique: r.unique as boolean, tail: rest.slice(table.length) }
  })
  const attachedIndexesOf = byTable<PartitionDef['attachedIndexes'][number]>(indexes.rows, (r) =>
    r.parent_index === null ? undefined : { name: r.name as string, parentIndex: r.parent_index as string },
  )
  const partitionColumnsOf = byTable<PartitionDef['columns'][number]>(partitionColumns.rows, (r) => ({
    name: r.name as string,
    notNull: r.not_null as boolean,
    default: (r.default_expr as string | null) ?? null,
  }))
  const partsOf = (oid: number) => ({
    constraints: constraintsOf.get(oid) ?? [],
    indexes: indexesOf.get(oid) ?? [],
    foreignKeys: foreignKeysOf.get(oid) ?? [],
  })
  const partitionsOf = byTable<PartitionDef>(partitions.rows, (r) => ({
    name: r.name as string,
    parent: r.parent as string,
    bound: r.bound as string,
    partitionKey: (r.partition_key as string | null) ?? null,
    unlogged: r.unlogged as boolean,
    options: (r.options as string | null) || null,
    ...partsOf(Number(r.oid)),
    attachedIndexes: attachedIndexesOf.get(Number(r.oid)) ?? [],
    columns: partitionColumnsOf.get(Number(r.oid)) ?? [],
  }))

  return tables.rows.map((r) => {
    const oid = Number(r.oid)
    return {
      oid,
      schema,
      name: r.name as string,
      targetSchema: mapped,
      unlogged: r.unlogged as boolean,
      options: (r.options as string | null) || null,
      partitionKey: (r.partition_key as string | null) ?? null,
      partitions: partitionsOf.get(oid) ?? [],
      columns: columnsOf.get(oid) ?? [],
      referencedBy: [],
      ...partsOf(oid),
      estimatedBytes: Number(r.bytes),
    }
  })
}
