import { z } from 'zod'
import { configSection } from './config-section.ts'
import { nonEmptyText, schemaName, wholeNumber } from './config-values.ts'
import { postgresSelectionFields } from './postgres-selection-fields.ts'

/**
 * `sources`: a map of name → source. Each source's `kind` says which reader copies it; every
 * source lands in `raw` unless it sets `targetSchema`. The name is used in `--select source:<name>`,
 * in stage folders (`<stage.dir>/<name>/…`) and in the run records.
 *
 * ```ts
 * sources: {
 *   postgres: { kind: 'postgres' },                    // url defaults to SOURCE_DATABASE_URL
 *   csv: { kind: 'csv', path: 'data/order_details.csv', table: 'order_details' },
 * }
 * ```
 */

const targetSchema = schemaName('a schema name (text of 1 to 63 bytes)').optional()

export const postgresSourceSection = configSection(
  {
    kind: z.literal('postgres'),
    /** Connection URL; default `SOURCE_DATABASE_URL` (or the embedded default's source database). */
    url: nonEmptyText('a postgres:// connection URL').optional(),
    ...postgresSelectionFields,
  },
  'a PostgreSQL source { kind: "postgres", url?, schemas?, include?, exclude?, targetSchema?, tables? }',
)

/** A PostgreSQL type name for a declared CSV column (`integer`, `numeric(12,2)`, `timestamptz`, `text[]`). */
const columnType = z
  .string({ error: 'a PostgreSQL type such as "integer", "numeric(12,2)" or "timestamptz"' })
  .regex(/^[A-Za-z_][A-Za-z0-9_ ]*(\(\s*\d+\s*(,\s*-?\d+\s*)?\))?( with(out)? time zone)?(\[\])*$/, {
    error: 'a PostgreSQL type such as "integer", "numeric(12,2)" or "timestamptz"',
  })

export const csvSourceSection = configSection(
  {
    kind: z.literal('csv'),
    /** A file or a glob (`data/sales-*.csv.gz`), relative to the config file; several files load into one table, in name order. */
    path: nonEmptyText('a file path or glob such as "data/orders.csv" or "data/orders-*.csv.gz"'),
    /** Target table name (in `targetSchema`, default `raw`). */
    table: nonEmptyText('a table name such as "order_details"').refine((t) => Buffer.byteLength(t) <= 63, { error: 'a table name of at most 63 bytes' }),
    targetSchema,
    /** Field delimiter; default: detected among `,` `;` tab `|`. */
    delimiter: z.string({ error: 'one character such as "," or ";"' }).length(1, { error: 'one character such as "," or ";"' }).optional(),
    /** Quote character; default: detected (`"` or `'`). */
    quote: z.string({ error: 'one character such as \'"\'' }).length(1, { error: 'one character such as \'"\'' }).optional(),
    /** Escape character inside quotes; default: the quote character (a doubled quote). */
    escape: z.string({ error: 'one character such as "\\\\"' }).length(1, { error: 'one character such as "\\\\"' }).optional(),
    /** File encoding; default: detected per file (UTF-8 with or without BOM, else Windows-1252 when a byte 0x80–0x9F is there, else Latin-1). */
    encoding: z.enum(['utf8', 'latin1', 'windows-1252'], { error: '"utf8", "latin1" or "windows-1252"' }).optional(),
    /** Declared PostgreSQL types per column (others are inferred from the data). */
    columns: z.record(nonEmptyText('a column name'), columnType, { error: 'a map of column names to PostgreSQL types such as { amount: "numeric(12,2)" }' }).optional(),
    /** Rows read to infer column types (default 10,000). */
    inferRows: wholeNumber(1).optional(),
    /** `fail` (default): a bad row fails the table's load and the previous copy stays; `quarantine`: good rows load, bad ones go to `_elt_audit.rejected_rows`. */
    onError: z.enum(['fail', 'quarantine'], { error: '"fail" or "quarantine"' }).optional(),
  },
  'a CSV source { kind: "csv", path, table, targetSchema?, delimiter?, quote?, escape?, encoding?, columns?, inferRows?, onError? }',
)

/** `mapping`, `targetSchema`, `maxRejectedRatio`: what both document kinds share (`@elt/documents`). */
const documentKeys = {
  /** A document mapping (`defineDocumentMapping`) exported under this name by the models project (`models.project`). */
  mapping: nonEmptyText('the name of a document mapping exported by the models project, such as "ccb_contracts"'),
  targetSchema,
  /** Rejected documents / documents read above this fails the load (exit 1); default 0.05. */
  maxRejectedRatio: z.number({ error: 'a number from 0 to 1 such as 0.05' }).min(0, { error: 'a number from 0 to 1 such as 0.05' }).max(1, { error: 'a number from 0 to 1 such as 0.05' }).optional(),
}

export const mongodbSourceSection = configSection(
  {
    kind: z.literal('mongodb'),
    /** `mongodb://` or `mongodb+srv://` connection string. */
    uri: nonEmptyText('a mongodb:// connection string').regex(/^mongodb(\+srv)?:\/\//, { error: 'a mongodb:// or mongodb+srv:// connection string' }),
    database: nonEmptyText('a database name'),
    collection: nonEmptyText('a collection name such as "contratos_ccb"'),
    /** A MongoDB query filter, e.g. `{ status: "ativo" }`. */
    filter: z.record(z.string(), z.unknown(), { error: 'a MongoDB query filter object such as { status: "ativo" }' }).optional(),
    /** Only documents whose `field` is newer than the last run's high-water mark (kept in `_elt.document_marks`). */
    incremental: configSection({ field: nonEmptyText('a date field such as "atualizado_em"') }, 'an incremental setting { field: "atualizado_em" }').optional(),
    ...documentKeys,
  },
  'a MongoDB source { kind: "mongodb", uri, database, collection, mapping, filter?, incremental?, targetSchema?, maxRejectedRatio? }',
)

export const mongodbExportSourceSection = configSection(
  {
    kind: z.literal('mongodb-export'),
    /** mongoexport JSON (Lines or an array) or mongodump `.bson` files: a file or a glob relative to the config file; `.gz` is gunzipped. */
    path: nonEmptyText('a file path or glob such as "exports/contratos.jsonl" or "dump/credito/*.bson.gz"'),
    ...documentKeys,
  },
  'a MongoDB export source { kind: "mongodb-export", path, mapping, targetSchema?, maxRejectedRatio? }',
)

const sourceKinds = { postgres: postgresSourceSection, csv: csvSourceSection, mongodb: mongodbSourceSection, 'mongodb-export': mongodbExportSourceSection } as const

/** One source: the section of its `kind`; an unknown kind names the known ones. */
export const sourceSection = z.unknown().check((ctx) => {
  const value = ctx.value
  const kind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined
  if (typeof kind === 'string' && Object.hasOwn(sourceKinds, kind)) return
  ctx.issues.push({
    code: 'custom',
    input: typeof value === 'object' && value !== null ? kind : value,
    path: typeof value === 'object' && value !== null ? ['kind'] : [],
    message: `a source kind: ${Object.keys(sourceKinds).map((k) => `"${k}"`).join(' or ')}`,
  })
}).pipe(z.discriminatedUnion('kind', [postgresSourceSection, csvSourceSection, mongodbSourceSection, mongodbExportSourceSection]))

/** Source names: letters, digits, `_` and `-`, starting with a letter (they name folders and selectors). */
const sourceNameExpected = 'a source name of letters, digits, "_" or "-", starting with a letter'
export const sourceName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,62}$/, { error: sourceNameExpected })

export const sourcesSection = z.record(sourceName, sourceSection, {
  error: (issue) => (issue.code === 'invalid_key' ? sourceNameExpected : 'a map of source names to sources such as { postgres: { kind: "postgres" } }'),
})

export type PostgresSourceConfig = z.output<typeof postgresSourceSection>
export type CsvSourceConfig = z.output<typeof csvSourceSection>
export type MongodbSourceConfig = z.output<typeof mongodbSourceSection>
export type MongodbExportSourceConfig = z.output<typeof mongodbExportSourceSection>

/** The kinds whose sources are documents, loaded by `@elt/documents` (upserted, not swapped). */
export const documentSourceKinds: readonly string[] = ['mongodb', 'mongodb-export']
