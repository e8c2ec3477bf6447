import type pg from 'pg'
import { qualifiedName, quoteIdent, type Logger } from '@elt/core'
import { shadowPattern } from '../ddl/shadow-names.ts'
import { addEnumLabelDdl, createSequenceDdl, createTypeDdl } from '../ddl/type-ddl.ts'
import type { SequenceDef, TableDef, UserTypeDef } from '../introspect/catalog.ts'

/**
 * Readies the destination before any data moves (autocommit, so new enum labels are usable):
 * target schemas, leftovers of a killed run dropped, user-defined types and sequences
 * created. Foreign keys stay: each table's swap re-adds those its `DROP` takes (see `table-links.ts`).
 *
 * ```sql
 * CREATE SCHEMA IF NOT EXISTS "raw";
 * DROP TABLE IF EXISTS "raw"."elt_new_3f2a9c01d4";
 * CREATE TYPE "raw"."mood" AS ENUM ('sad', 'ok', 'happy');
 * ```
 */
export async function prepareDestination(
  client: pg.ClientBase,
  plan: { tables: readonly TableDef[]; types: readonly UserTypeDef[]; sequences: readonly SequenceDef[] },
  logger: Logger,
): Promise<void> {
  const schemas = [...new Set([...plan.tables.map((t) => t.targetSchema), ...plan.types.map((t) => t.targetSchema), ...plan.sequences.map((s) => s.targetSchema)])]
  for (const schema of schemas) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`)

  const { rows: leftovers } = await client.query<{ schema: string; name: string }>(
    `select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any($1::text[]) and c.relname ~ $2 and c.relkind in ('r', 'p') and not c.relispartition`,
    [schemas, shadowPattern],
  )
  for (const l of leftovers) {
    logger.info(`dropping ${l.schema}.${l.name}, left over by an interrupted run`)
    await client.query(`DROP TABLE IF EXISTS ${qualifiedName(l.schema, l.name)}`)
  }

  for (const type of plan.types) {
    const { rows } = await client.query<{ labels: string[] | null }>(
      `select (select array_agg(e.enumlabel::text) from pg_enum e where e.enumtypid = t.oid) as labels
         from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname = $1 and t.typname = $2`,
      [type.targetSchema, type.name],
    )
    if (rows.length === 0) await client.query(createTypeDdl(type))
    else if (type.kind === 'enum') {
      const existing = new Set(rows[0]?.labels ?? [])
      for (const label of type.labels) if (!existing.has(label)) await client.query(addEnumLabelDdl(type, label))
    }
  }
  for (const sequence of plan.sequences) await client.query(createSequenceDdl(sequence))
}
