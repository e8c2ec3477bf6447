import type pg from 'pg'
import { EltError, ExitCode } from '@elt/core'
import { sourceName, targetName, type IncomingKeyDef, type SequenceDef, type TableDef, type UserTypeDef } from './catalog.ts'
import { listTables, readTables } from './read-tables.ts'
import { readSequences } from './read-sequences.ts'
import { readUserTypes } from './read-types.ts'
import { selectTables } from './select-tables.ts'

/** Everything the run will create and copy, read from the source inside the snapshot. */
export interface ReplicationPlan {
  /** Largest first. */
  tables: TableDef[]
  types: UserTypeDef[]
  sequences: SequenceDef[]
}

/** Tables narrowed further by the command line (`--select source:postgres.films`): unknown names are checked by the caller. */
export interface TableSelection {
  include?: readonly string[]
  exclude?: readonly string[]
}

/**
 * Reads the source catalog for the selected tables of `schemas` (the config's include/exclude,
 * then `only`: a foreign key to a table left out is not replicated). Unknown schemas or
 * table names in the config are configuration errors (exit 2).
 *
 * ```ts
 * const plan = await readPlan(client, { schemas: ['public'], exclude: ['audit_*'], targetSchema: 'raw' })
 * // select nspname from pg_namespace where nspname = any($1); then listTables, readTables, readUserTypes, readSequences
 * ```
 */
export async function readPlan(
  client: pg.ClientBase,
  selection: { schemas: readonly string[]; include?: readonly string[]; exclude?: readonly string[]; targetSchema: string; only?: TableSelection },
): Promise<ReplicationPlan> {
  const { rows } = await client.query<{ name: string }>('select nspname as name from pg_namespace where nspname = any($1::text[])', [selection.schemas])
  const missing = selection.schemas.filter((s) => !rows.some((r) => r.name === s))
  if (missing.length > 0) {
    throw new EltError(`The source has no schema ${missing.map((s) => `"${s}"`).join(', ')} (listed in replicate.schemas of the config).`, {
      hint: 'Fix the schema names in elt.config.ts (\\dn in psql lists them).',
      exitCode: ExitCode.usage,
    })
  }
  const selected = selectTables(selectTables(await listTables(client, selection.schemas), selection), selection.only ?? {}, { unknown: 'ignore' })
  const replicated = new Set(selected.map(sourceName))
  const tables: TableDef[] = []
  for (const schema of selection.schemas) {
    const oids = selected.filter((t) => t.schema === schema).map((t) => t.oid)
    tables.push(...(await readTables(client, schema, oids, selection.targetSchema, (s, name) => replicated.has(sourceName({ schema: s, name })))))
  }
  const oids = tables.map((t) => t.oid)
  const types = await readUserTypes(client, oids, selection.targetSchema)
  const sequences = await readSequences(client, oids, selection.targetSchema)
  tables.sort((a, b) => b.estimatedBytes - a.estimatedBytes || a.name.localeCompare(b.name))
  return { tables: withIncomingKeys(tables), types, sequences }
}

/** Each table with the replicated relations' foreign keys to it (see {@link TableDef.referencedBy}). */
function withIncomingKeys(tables: readonly TableDef[]): TableDef[] {
  const incoming = new Map<string, IncomingKeyDef[]>()
  for (const t of tables) {
    const relations = [{ name: t.name, partitioned: t.partitionKey !== null, keys: t.foreignKeys }, ...t.partitions.map((p) => ({ name: p.name, partitioned: p.partitionKey !== null, keys: p.foreignKeys }))]
    for (const r of relations) {
      for (const key of r.keys.filter((k) => k.replicated)) {
        const referenced = targetName({ targetSchema: key.references.schema, name: key.references.name })
        incoming.set(referenced, [...(incoming.get(referenced) ?? []), { relation: { schema: t.targetSchema, name: r.name }, partitioned: r.partitioned, key }])
      }
    }
  }
  return tables.map((t) => ({ ...t, referencedBy: incoming.get(targetName(t)) ?? [] }))
}
