import { qualifiedName, quoteIdent } from '@elt/core'
import type { ColumnDef, ConstraintDef, RelationParts, TableDef } from '../introspect/catalog.ts'
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

/** `NOT VALID` in the source: a row may break it, so it is added after the data (`CREATE TABLE` would make it valid). */
const notValid = (c: ConstraintDef) => c.definition.endsWith(' NOT VALID')
const validChecks = (parts: RelationParts) => parts.constraints.filter((c) => c.kind === 'c' && !notValid(c))

/**
 * DDL of the shadow table and its partitions, run with `search_path` = the target schema
 * (same-schema types, sequences in defaults and check constraints resolve there). `UNLOGGED`
 * where the source's table or partition is; a partition's own check constraints with it (not those
 * the source has `NOT VALID`: see {@link notValidChecksDdl}).
 *
 * ```sql
 * CREATE TABLE "raw"."elt_new_3f2a9c01d4" ("film_id" integer DEFAULT nextval('films_film_id_seq'::regclass) NOT NULL,
 *   "title" character varying(255) NOT NULL, …, CONSTRAINT "films_user_rating_check" CHECK (…))
 * CREATE UNLOGGED TABLE "raw"."elt_new_9b1c…" PARTITION OF "raw"."elt_new_3f2a9c01d4" (CONSTRAINT "p07_small" CHECK (amount < 100)) FOR VALUES FROM (…) TO (…)
 * ALTER TABLE "raw"."elt_new_9b1c…" ALTER COLUMN "amount" SET DEFAULT 0.99      -- declared on the partition itself
 * ```
 */
export function createShadowDdl(table: TableDef): string[] {
  const names = shadowNames(table.targetSchema, table.name)
  const checks = (parts: RelationParts) => validChecks(parts).map((c) => `CONSTRAINT ${quoteIdent(c.name)} ${c.definition}`)
  const create = (parts: RelationParts) => `CREATE ${parts.unlogged ? 'UNLOGGED ' : ''}TABLE`
  const withOptions = (parts: RelationParts) => (parts.options ? ` WITH (${parts.options})` : '')
  const body = [...table.columns.map(columnDdl), ...checks(table)]
  const statements = [
    `${create(table)} ${qualifiedName(table.targetSchema, names.table)} (${body.join(', ')})${table.partitionKey ? ` PARTITION BY ${table.partitionKey}` : ''}${withOptions(table)}`,
  ]
  const shadowOf = (name: string) => (name === table.name ? names.table : names.partition(name))
  for (const p of table.partitions) {
    const own = checks(p)
    const shadow = qualifiedName(table.targetSchema, names.partition(p.name))
    statements.push(
      `${create(p)} ${shadow} PARTITION OF ${qualifiedName(table.targetSchema, shadowOf(p.parent))}` +
        (own.length > 0 ? ` (${own.join(', ')})` : '') +
        ` ${p.bound}` +
        (p.partitionKey ? ` PARTITION BY ${p.partitionKey}` : '') +
        withOptions(p),
    )
    // a partition gets its parent's NOT NULLs and defaults; what it declares itself differs
    const parent = p.parent === table.name ? table.columns : (table.partitions.find((q) => q.name === p.parent)?.columns ?? [])
    for (const c of p.columns) {
      const inherited = parent.find((q) => q.name === c.name)
      if (inherited === undefined) continue
      const column = `ALTER TABLE ${shadow} ALTER COLUMN ${quoteIdent(c.name)}`
      if (c.notNull && !inherited.notNull) statements.push(`${column} SET NOT NULL`)
      if (c.default !== inherited.default) statements.push(c.default === null ? `${column} DROP DEFAULT` : `${column} SET DEFAULT ${c.default}`)
    }
  }
  // per-column planner and storage settings (on a partitioned table they reach its partitions, as they did in the source)
  for (const c of table.columns) {
    const column = `ALTER TABLE ${qualifiedName(table.targetSchema, names.table)} ALTER COLUMN ${quoteIdent(c.name)}`
    if (c.statistics !== null) statements.push(`${column} SET STATISTICS ${c.statistics}`)
    if (c.storage !== null) statements.push(`${column} SET STORAGE ${c.storage.toUpperCase()}`)
    if (c.compression !== null) statements.push(`${column} SET COMPRESSION ${c.compression}`)
  }
  return statements
}

/**
 * Primary key, unique and exclusion constraints, then the other indexes, built on the
 * loaded shadow table under temporary names — first the table's (PostgreSQL builds their
 * partitions' share), then those declared on a partition itself.
 *
 * ```sql
 * ALTER TABLE "raw"."elt_new_3f2a9c01d4" ADD CONSTRAINT "elt_idx_3f2a9c01d4_0" PRIMARY KEY (film_id)
 * CREATE INDEX "elt_idx_3f2a9c01d4_1" ON "raw"."elt_new_3f2a9c01d4" USING btree (title)
 * CREATE INDEX "elt_idx_3f2a9c01d4_2" ON "raw"."elt_new_9b1c…" USING btree (customer_id)     -- payment_p2022_01's own
 * ```
 */
export function indexDdl(table: TableDef): { sql: string; tempName: string; finalName: string }[] {
  const names = shadowNames(table.targetSchema, table.name)
  const out: { sql: string; tempName: string; finalName: string }[] = []
  const relations: [string, RelationParts][] = [[names.table, table], ...table.partitions.map((p): [string, RelationParts] => [names.partition(p.name), p])]
  for (const [shadowName, parts] of relations) {
    const shadow = qualifiedName(table.targetSchema, shadowName)
    const keyed = [...parts.constraints.filter((c) => c.kind === 'p'), ...parts.constraints.filter((c) => c.kind === 'u' || c.kind === 'x')]
    for (const c of keyed) {
      const tempName = names.index(out.length)
      out.push({ sql: `ALTER TABLE ${shadow} ADD CONSTRAINT ${quoteIdent(tempName)} ${c.definition}`, tempName, finalName: c.name })
    }
    for (const i of parts.indexes) {
      const tempName = names.index(out.length)
      out.push({ sql: `CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX ${quoteIdent(tempName)} ON ${shadow} ${i.tail}`, tempName, finalName: i.name })
    }
  }
  return out
}

/**
 * Check constraints the source has `NOT VALID` (rows may break them), added without a scan once
 * the new copy is in place under its final name (in the swap), so they hold for new rows only,
 * as in the source.
 *
 * ```sql
 * ALTER TABLE "raw"."film" ADD CONSTRAINT "film_title_short" CHECK ((length(title) < 7)) NOT VALID
 * ```
 */
export function notValidChecksDdl(table: TableDef): string[] {
  const relations: [string, RelationParts][] = [[table.name, table], ...table.partitions.map((p): [string, RelationParts] => [p.name, p])]
  return relations.flatMap(([name, parts]) =>
    parts.constraints.filter((c) => c.kind === 'c' && notValid(c)).map((c) => `ALTER TABLE ${qualifiedName(table.targetSchema, name)} ADD CONSTRAINT ${quoteIdent(c.name)} ${c.definition}`),
  )
}
