import { qualifiedName, quoteIdent } from '@elt/core'
import type { DocumentMapping, TableMapping } from '../mapping/define-document-mapping.ts'

const list = (columns: readonly string[]) => columns.map(quoteIdent).join(', ')

/** The staging (temporary) table of a target table: same columns and types, no constraints, plus the document's ordinal in the batch. */
export function stagingName(table: string): string {
  return `elt_doc_stage_${table}`
}

/**
 * DDL creating the mapping's tables in `schema` (if missing) with their primary keys, unique
 * keys, foreign keys, and an index on each foreign key not already served by the primary key.
 *
 * ```sql
 * create table if not exists "ccb"."parcelas" ("numero_ccb" text not null, "numero" int not null, …,
 *   primary key ("numero_ccb", "numero"), foreign key ("numero_ccb") references "ccb"."operacoes" ("numero_ccb"))
 * create index if not exists "operacoes_cpf_fk" on "ccb"."operacoes" ("cpf")
 * ```
 */
export function createTablesSql(mapping: DocumentMapping<unknown>, schema: string): string[] {
  const statements = [`create schema if not exists ${quoteIdent(schema)}`]
  for (const [name, table] of Object.entries(mapping.tables)) {
    const parts = Object.entries(table.columns).map(([column, def]) => `${quoteIdent(column)} ${def.type}${def.notNull || table.primaryKey.includes(column) ? ' not null' : ''}`)
    parts.push(`primary key (${list(table.primaryKey)})`)
    for (const unique of table.unique ?? []) parts.push(`unique (${list(unique)})`)
    for (const fk of table.foreignKeys ?? []) parts.push(`foreign key (${list(fk.columns)}) references ${qualifiedName(schema, fk.references)} (${list(fk.referencedColumns)})`)
    statements.push(`create table if not exists ${qualifiedName(schema, name)} (\n  ${parts.join(',\n  ')}\n)`)
    for (const fk of table.foreignKeys ?? []) {
      const servedByPrimaryKey = fk.columns.every((column, i) => table.primaryKey[i] === column)
      if (!servedByPrimaryKey) statements.push(`create index if not exists ${quoteIdent(`${name}_${fk.columns.join('_')}_fk`)} on ${qualifiedName(schema, name)} (${list(fk.columns)})`)
    }
  }
  return statements
}

/** `create temp table … (like …)` for each table: rows of one batch, emptied at commit. */
export function createStagingSql(mapping: DocumentMapping<unknown>): string[] {
  return Object.entries(mapping.tables).map(([name, table]) => {
    const columns = Object.entries(table.columns).map(([column, def]) => `${quoteIdent(column)} ${def.type}`)
    return `create temp table if not exists ${quoteIdent(stagingName(name))} (${columns.join(', ')}, "_doc" int not null) on commit delete rows`
  })
}

/** The batch's winners of an aggregate root: its temp table name. */
export function winnersName(table: string): string {
  return `elt_doc_winners_${table}`
}

/**
 * Statements applying one batch to an aggregate root (a table with `version`): the newest
 * version of each key in the batch, minus those older than the stored row, then one upsert that
 * writes only rows that differ. Returns the counts. Equal versions: with a `tieSource` (clientes ←
 * operacoes) the greater numero_ccb wins, in the batch and against the stored row (whose source is
 * the stored contract of that client and version), so neither input order nor batch size matter;
 * otherwise the later document of the batch.
 *
 * ```sql
 * create temp table "elt_doc_winners_operacoes" on commit drop as
 *   select *, exists (select 1 from "ccb"."operacoes" t where t."numero_ccb" = w."numero_ccb") as "_stored"
 *   from (select distinct on ("numero_ccb") * from "elt_doc_stage_operacoes" order by "numero_ccb", "atualizado_em" desc, "_doc" desc) w;
 * delete from "elt_doc_winners_operacoes" w using "ccb"."operacoes" t where t."numero_ccb" = w."numero_ccb" and (t."atualizado_em" > w."atualizado_em");
 * -- clientes: order by …, "atualizado_em" desc, (select d."numero_ccb" from "elt_doc_stage_operacoes" d where d."_doc" = s."_doc") desc nulls last, "_doc" desc,
 * -- and the delete also drops a winner when t."atualizado_em" = w."atualizado_em" and a stored operacoes row of that cpf and version has a greater numero_ccb than w."_tie"
 * with src as materialized (select … from "elt_doc_winners_operacoes"),
 *   up as (insert into "ccb"."operacoes" as "operacoes" (…) select * from src on conflict ("numero_ccb") do update set "cpf" = excluded."cpf", …
 *   where ("operacoes"."cpf", …) is distinct from (excluded."cpf", …) and "operacoes"."atualizado_em" <= excluded."atualizado_em"
 *   returning (xmax = 0) as inserted)
 * select (select count(*) from src) as rows, count(*) filter (where inserted) as inserted, count(*) filter (where not inserted) as updated from up
 * ```
 */
export function applyRootSql(schema: string, name: string, table: TableMapping<unknown>, mapping?: DocumentMapping<unknown>): string[] {
  const version = quoteIdent(table.version!)
  const key = table.primaryKey.map(quoteIdent)
  const winners = quoteIdent(winnersName(name))
  const target = qualifiedName(schema, name)
  const tie = mapping ? tieSource(mapping, name, table) : undefined
  const stagedTie = tie ? `(select ${tie.key('d')} from ${quoteIdent(stagingName(tie.table))} d where d."_doc" = s."_doc")` : undefined
  const stored = qualifiedName(schema, tie?.table ?? name)
  return [
    // "_stored": the key had a row before this batch (only then can it have child rows to delete)
    `create temp table ${winners} on commit drop as select *, exists (select 1 from ${target} t where ${key.map((k) => `t.${k} = w.${k}`).join(' and ')}) as "_stored"` +
      ` from (select distinct on (${key.map((k) => `s.${k}`).join(', ')}) s.*${stagedTie ? ` , ${stagedTie} as "_tie"` : ''} from ${quoteIdent(stagingName(name))} s` +
      ` order by ${key.map((k) => `s.${k}`).join(', ')}, s.${version} desc, ${stagedTie ? `${stagedTie} desc nulls last, ` : ''}s."_doc" desc) w`,
    `delete from ${winners} w using ${target} t where ${key.map((k) => `t.${k} = w.${k}`).join(' and ')} and (t.${version} > w.${version}` +
      (tie
        ? ` or t.${version} = w.${version} and exists (select 1 from ${stored} d where ${tie.references.map(([c, k]) => `d.${quoteIdent(c)} = w.${quoteIdent(k)}`).join(' and ')}` +
          ` and d.${version} = w.${version} and ${tie.key('d')} > w."_tie")`
        : '') +
      ')',
    upsertSql(target, name, table, `select ${list(Object.keys(table.columns))} from ${winners}`, `${quoteIdent(name)}.${version} <= excluded.${version}`),
  ]
}

/**
 * Where ties between documents of equal version are broken for aggregate root `name`: another
 * aggregate root of the mapping with the same version column and a foreign key to `name` (the
 * contract `operacoes` for the client `clientes`). Among documents naming one key with the same
 * newest version, the one whose row there has the greatest primary key (`numero_ccb`) wins, in a
 * batch and against the stored row (whose source is the stored row there with the same version).
 */
function tieSource(mapping: DocumentMapping<unknown>, name: string, table: TableMapping<unknown>) {
  for (const [other, candidate] of Object.entries(mapping.tables)) {
    if (other === name || candidate.version !== table.version) continue
    const fk = candidate.foreignKeys?.find((f) => f.references === name && f.referencedColumns.join() === table.primaryKey.join())
    if (!fk) continue
    const pk = candidate.primaryKey.map(quoteIdent)
    return {
      table: other,
      references: fk.columns.map((c, i) => [c, fk.referencedColumns[i]!] as const),
      key: (alias: string) => (pk.length === 1 ? `${alias}.${pk[0]}` : `row(${pk.map((k) => `${alias}.${k}`).join(', ')})`),
    }
  }
  return undefined
}

/**
 * One child table: the rows of each winning owner's document upserted, then the rows of those
 * owners that the document no longer has deleted. Returns the counts.
 *
 * ```sql
 * with src as materialized (select s."numero_ccb", s."numero", … from "elt_doc_stage_parcelas" s
 *     join "elt_doc_winners_operacoes" w on s."numero_ccb" = w."numero_ccb" and s."_doc" = w."_doc"),
 *   up as (insert into "ccb"."parcelas" (…) select * from src on conflict ("numero_ccb", "numero") do update set … where (…) is distinct from (…) returning (xmax = 0) as inserted)
 * select (select count(*) from src) as rows, …;
 * delete from "ccb"."parcelas" t using "elt_doc_winners_operacoes" w where w."_stored" and t."numero_ccb" = w."numero_ccb"
 *   and not exists (select 1 from "elt_doc_stage_parcelas" s where s."_doc" = w."_doc" and s."numero_ccb" = t."numero_ccb" and s."numero" = t."numero")
 * ```
 */
export function applyChildSql(schema: string, name: string, table: TableMapping<unknown>, ownerKey: readonly string[]): { upsert: string; remove: string } {
  const owner = table.owner!
  const winners = quoteIdent(winnersName(owner.table))
  const stage = quoteIdent(stagingName(name))
  const target = qualifiedName(schema, name)
  const join = owner.columns.map((c, i) => `s.${quoteIdent(c)} = w.${quoteIdent(ownerKey[i]!)}`).join(' and ')
  const columns = Object.keys(table.columns)
  const source = `select ${columns.map((c) => `s.${quoteIdent(c)}`).join(', ')} from ${stage} s join ${winners} w on ${join} and s."_doc" = w."_doc"`
  return {
    upsert: upsertSql(target, name, table, source),
    remove:
      `delete from ${target} t using ${winners} w where w."_stored" and ${owner.columns.map((c, i) => `t.${quoteIdent(c)} = w.${quoteIdent(ownerKey[i]!)}`).join(' and ')}` +
      ` and not exists (select 1 from ${stage} s where s."_doc" = w."_doc" and ${table.primaryKey.map((k) => `s.${quoteIdent(k)} = t.${quoteIdent(k)}`).join(' and ')})`,
  }
}

function upsertSql(target: string, name: string, table: TableMapping<unknown>, source: string, guard?: string): string {
  const columns = Object.keys(table.columns)
  const rest = columns.filter((c) => !table.primaryKey.includes(c))
  const self = quoteIdent(name)
  const conflict =
    rest.length === 0
      ? 'do nothing'
      : `do update set ${rest.map((c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`).join(', ')}` +
        ` where (${rest.map((c) => `${self}.${quoteIdent(c)}`).join(', ')}, null) is distinct from (${rest.map((c) => `excluded.${quoteIdent(c)}`).join(', ')}, null)` +
        (guard ? ` and ${guard}` : '')
  return (
    `with src as materialized (${source}), ` +
    `up as (insert into ${target} as ${self} (${list(columns)}) select * from src on conflict (${list(table.primaryKey)}) ${conflict} returning (${self}.xmax = 0) as inserted) ` +
    `select (select count(*) from src)::int as rows, (count(*) filter (where inserted))::int as inserted, (count(*) filter (where not inserted))::int as updated from up`
  )
}
