import { qualifiedName, quoteIdent } from '@elt/core'
import type { ColumnDef, TableDef } from '../introspect/catalog.ts'
import { shadowNames } from './shadow-names.ts'
import { sequenceOptions } from './type-ddl.ts'


function columnDdl(c: ColumnDef): string {
  const parts = [quoteIdent(c.name), c.type]
  if (c.collation) parts.push(`COLLATE ${c.collation}`)
  if (c.generated !== null) parts.push(`GENERATED ALWAYS AS (${c.generated}) STORED`)
  else if (c.identity !== null) {
    parts.push(`GENERATED ${c.identity === 'always' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`)
    if (c.identitySequence) parts.push(`(${sequenceOptions(c.identitySequence, false)})`)
  } else if (c.default !== null) parts.push(`DEFAULT ${c.default}`)
  if (c.notNull) parts.push('NOT NULL')
  return parts.join(' ')
}

/** Columns that COPY carries: all but generated ones (the destination computes those). */
export function copiedColumns(table: TableDef): string[] {
  return table.columns.filter((c) => c.generated === null).map((c) => c.name)
}

/**
 * DDL of the shadow table and its partitions, run with `search_path` = the target schema
 * (same-schema types, sequences in defaults and check constraints resolve there).
 *
 * ```sql
 * CREATE TABLE "raw"."elt_new_3f2a9c01d4" ("film_id" integer DEFAULT nextval('films_film_id_seq'::regclass) NOT NULL,
 *   "title" character varying(255) NOT NULL, …, CONSTRAINT "films_user_rating_check" CHECK (…))
 * ```
 */
export function createShadowDdl(table: TableDef): string[] {
  const names = shadowNames(table.targetSchema, table.name)
  const body = [
    ...table.columns.map(columnDdl),
    ...table.constraints.filter((c) => c.kind === 'c').map((c) => `CONSTRAINT ${quoteIdent(c.name)} ${c.definition}`),
  ]
  const statements = [
    `CREATE TABLE ${qualifiedName(table.targetSchema, names.table)} (${body.join(', ')})${table.partitionKey ? ` PARTITION BY ${table.partitionKey}` : ''}`,
  ]
  const shadowOf = (name: string) => (name === table.name ? names.table : names.partition(name))
  for (const p of table.partitions) {
    statements.push(
      `CREATE TABLE ${qualifiedName(table.targetSchema, names.partition(p.name))} PARTITION OF ${qualifiedName(table.targetSchema, shadowOf(p.parent))} ${p.bound}` +
        (p.partitionKey ? ` PARTITION BY ${p.partitionKey}` : ''),
    )
  }
  return statements
}

/**
 * Primary key, unique and exclusion constraints, then the other indexes, built on the
 * loaded shadow table under temporary names.
 *
 * ```sql
 * ALTER TABLE "raw"."elt_new_3f2a9c01d4" ADD CONSTRAINT "elt_idx_3f2a9c01d4_0" PRIMARY KEY (film_id)
 * CREATE INDEX "elt_idx_3f2a9c01d4_1" ON "raw"."elt_new_3f2a9c01d4" USING btree (title)
 * ```
 */
export function indexDdl(table: TableDef): { sql: string; tempName: string; finalName: string }[] {
  const names = shadowNames(table.targetSchema, table.name)
  const shadow = qualifiedName(table.targetSchema, names.table)
  const out: { sql: string; tempName: string; finalName: string }[] = []
  const keyed = [...table.constraints.filter((c) => c.kind === 'p'), ...table.constraints.filter((c) => c.kind === 'u' || c.kind === 'x')]
  for (const c of keyed) {
    const tempName = names.index(out.length)
    out.push({ sql: `ALTER TABLE ${shadow} ADD CONSTRAINT ${quoteIdent(tempName)} ${c.definition}`, tempName, finalName: c.name })
  }
  for (const i of table.indexes) {
    const tempName = names.index(out.length)
    out.push({ sql: `CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX ${quoteIdent(tempName)} ON ${shadow} ${i.tail}`, tempName, finalName: i.name })
  }
  return out
}
