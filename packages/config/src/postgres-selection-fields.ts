import { z } from 'zod'
import { schemaName, tablePatterns } from './config-values.ts'
import { replicationTablesSection } from './replication-tables-section.ts'

/**
 * What a PostgreSQL replication selects and where it lands, shared by `replicate` and a
 * `sources` entry of kind `postgres`: each of those sections spreads these fields into its own.
 *
 * ```ts
 * configSection({ kind: z.literal('postgres'), ...postgresSelectionFields }, 'a PostgreSQL source { … }')
 * // accepts { kind: 'postgres', schemas: ['public', 'sales'], include: ['film*'], targetSchema: 'raw', tables: { films: { strategy: 'incremental', cursor: 'updated_at' } } }
 * ```
 */
export const postgresSelectionFields = {
  /** Source schemas to copy (default `['public']`): `public` lands in `targetSchema`, any other `s` in `<targetSchema>_s`. */
  schemas: z
    .array(schemaName('a schema name (text of 1 to 63 bytes)'), { error: 'a list of schema names such as ["public"]' })
    .min(1, { error: 'a list of at least one schema name such as ["public"]' })
    .optional(),
  /** Only tables matching one of these patterns (`films`, `public.film_*`, `sales.*`). Default: all. */
  include: tablePatterns.optional(),
  /** Tables matching any of these patterns are skipped. */
  exclude: tablePatterns.optional(),
  /** Destination schema for `public` (default `raw`). */
  targetSchema: schemaName('a schema name (text of 1 to 63 bytes)').optional(),
  /** Per source table: `strategy` (`full` default, `incremental`, `append`, `cdc`), `cursor`, `primaryKey`, `lookback`, `deletes`. */
  tables: replicationTablesSection.optional(),
}
