/**
 * Which configured source (elt.config.ts `sources`) loads a source relation, and from where.
 * The runner never reads the config: the CLI describes its sources with {@link sourceLoaders}
 * and passes the result to selection (`source:<name>`) and to the manifest (each source node's `loader`).
 */
export interface SourceLoader {
  /** The source's name in `sources` (`postgres`, `ticket_sales`). */
  source: string
  /** Its kind (`postgres`, `csv`, …). */
  kind: string
  /** Where the rows come from: the source table (`public.films`) or the file (`source_db_init/ticket_sales.csv`). */
  from: string
}

export interface SourceLoaders {
  /** Every configured source's name (also those that load no declared relation). */
  readonly names: readonly string[]
  /** The loader of the destination table `schema.name`, or undefined when no configured source loads it. */
  loaderOf(schema: string, name: string): SourceLoader | undefined
}

/**
 * A configured source as the runner needs it. A source with `table` (a CSV file, …) loads exactly
 * `targetSchema.table`; one with `schemas` (a PostgreSQL database) loads every table of each
 * destination schema `to` (from the source schema `from`: `public` → `raw`, `sales` → `raw_sales`,
 * as replication maps them) that no `table` source claims and that its `copies` (include/exclude)
 * keeps; the first source listed wins a schema.
 */
export type SourceSpec =
  | { name: string; kind: string; targetSchema: string; table: string; from: string }
  | {
      name: string
      kind: string
      schemas: readonly { from: string; to: string }[]
      /** Whether it copies the source table `schema.table` (its include/exclude patterns); default every table. */
      copies?: (schema: string, table: string) => boolean
    }

/**
 * ```ts
 * const loaders = sourceLoaders([
 *   { name: 'postgres', kind: 'postgres', schemas: [{ from: 'public', to: 'raw' }, { from: 'sales', to: 'raw_sales' }] },
 *   { name: 'ticket_sales', kind: 'csv', targetSchema: 'raw', table: 'ticket_sales', from: 'source_db_init/ticket_sales.csv' },
 * ])
 * loaders.loaderOf('raw', 'films')          // { source: 'postgres', kind: 'postgres', from: 'public.films' }
 * loaders.loaderOf('raw_sales', 'orders')   // { source: 'postgres', kind: 'postgres', from: 'sales.orders' }
 * loaders.loaderOf('raw', 'ticket_sales')   // { source: 'ticket_sales', kind: 'csv', from: 'source_db_init/ticket_sales.csv' }
 * loaders.loaderOf('seed', 'countries')     // undefined
 * ```
 */
export function sourceLoaders(specs: readonly SourceSpec[]): SourceLoaders {
  const tables = new Map<string, SourceLoader>()
  /** Destination schema → the first database source landing there, and the source schema it holds. */
  const schemas = new Map<string, { source: string; kind: string; sourceSchema: string; copies?: (schema: string, table: string) => boolean }>()
  for (const spec of specs) {
    if ('table' in spec) {
      const key = `${spec.targetSchema}.${spec.table}`
      if (!tables.has(key)) tables.set(key, { source: spec.name, kind: spec.kind, from: spec.from })
      continue
    }
    for (const { from, to } of spec.schemas) if (!schemas.has(to)) schemas.set(to, { source: spec.name, kind: spec.kind, sourceSchema: from, ...(spec.copies ? { copies: spec.copies } : {}) })
  }
  return {
    names: specs.map((spec) => spec.name),
    loaderOf(schema, name) {
      const table = tables.get(`${schema}.${name}`)
      if (table) return table
      const database = schemas.get(schema)
      if (!database || (database.copies && !database.copies(database.sourceSchema, name))) return undefined
      return { source: database.source, kind: database.kind, from: `${database.sourceSchema}.${name}` }
    },
  }
}
