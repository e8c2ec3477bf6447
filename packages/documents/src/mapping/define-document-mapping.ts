/** One value of a row: what the COPY encoder understands (numbers from BSON wrappers are turned into text by `normalize`). */
export type CellValue = string | number | bigint | boolean | Date | null

export type Row = Record<string, CellValue>

/** A column: its PostgreSQL type (`char(11)`, `numeric(14,2)`, `timestamptz`), and `notNull`. */
export interface ColumnDef {
  type: string
  notNull?: boolean
}

export interface ForeignKeyDef {
  columns: readonly string[]
  /** A table of the same mapping (created in the same `targetSchema`). */
  references: string
  referencedColumns: readonly string[]
}

/**
 * Where a table's rows come from in a document: the root, a nested object (one row or none), or
 * each element of an array carrying its parent's key. `path` documents it (README, lineage);
 * `rows` does the work.
 */
export type RowOrigin = { kind: 'root' } | { kind: 'object'; path: string } | { kind: 'array'; path: string }

/**
 * A target table. A table with `version` is an aggregate root: its rows carry the version column
 * (`atualizado_em`) and an older version never overwrites a newer one. A table with `owner` is a
 * child of an aggregate root: its rows are the root document's rows for that key, kept in sync
 * (rows the newest document no longer has are deleted).
 */
export interface TableMapping<D> {
  columns: Readonly<Record<string, ColumnDef>>
  primaryKey: readonly string[]
  unique?: readonly (readonly string[])[]
  foreignKeys?: readonly ForeignKeyDef[]
  origin: RowOrigin
  /** Aggregate root: the timestamp column ordering the versions of a row. */
  version?: string
  /** Child: the aggregate root table and the columns of this table holding its key (same order as the root's primary key). */
  owner?: { table: string; columns: readonly string[] }
  rows(document: D): Row[]
}

export interface DocumentMapping<D> {
  readonly kind: 'document-mapping'
  name: string
  /** The document's id in rejection records (`documento_id`: the ObjectId's hex). */
  documentId(document: D): string | null
  /** The business key in rejection records (`numero_ccb`). */
  businessKey(document: D): string | null
  /** Readable reasons, one per failing rule; empty when the document is good. */
  validate(document: unknown): string[]
  /** Target tables, parents before children (the order rows are applied in). */
  tables: Readonly<Record<string, TableMapping<D>>>
}

/**
 * Declares how documents of type `D` become rows of related tables. The module exporting it
 * lives in the models project; a source names it with `mapping: '<name>'`.
 *
 * ```ts
 * export const people = defineDocumentMapping<Person>({
 *   name: 'people',
 *   documentId: (d) => d._id.toHexString(), businessKey: (d) => d.email,
 *   validate: (d) => (isPerson(d) ? [] : ['not a person']),
 *   tables: {
 *     people: { columns: { email: { type: 'text', notNull: true }, updated_at: { type: 'timestamptz', notNull: true } },
 *               primaryKey: ['email'], version: 'updated_at', origin: { kind: 'root' },
 *               rows: (d) => [{ email: d.email, updated_at: d.updated_at }] },
 *     phones: { columns: { email: { type: 'text' }, phone: { type: 'text' } }, primaryKey: ['email', 'phone'],
 *               foreignKeys: [{ columns: ['email'], references: 'people', referencedColumns: ['email'] }],
 *               owner: { table: 'people', columns: ['email'] }, origin: { kind: 'array', path: 'phones' },
 *               rows: (d) => d.phones.map((phone) => ({ email: d.email, phone })) },
 *   },
 * })
 * ```
 */
export function defineDocumentMapping<D>(definition: Omit<DocumentMapping<D>, 'kind'>): DocumentMapping<D> {
  const mapping: DocumentMapping<D> = { kind: 'document-mapping', ...definition }
  checkMapping(mapping)
  return mapping
}

export function isDocumentMapping(value: unknown): value is DocumentMapping<unknown> {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'document-mapping'
}

/** A mapping's mistakes are the programmer's: thrown at definition time, naming the table and column. */
function checkMapping(mapping: DocumentMapping<unknown>): void {
  const names = Object.keys(mapping.tables)
  const problem = (message: string): never => {
    throw new Error(`Document mapping ${mapping.name}: ${message}`)
  }
  names.forEach((name, index) => {
    const table = mapping.tables[name]!
    const has = (column: string) => Object.hasOwn(table.columns, column)
    for (const column of table.primaryKey) if (!has(column)) problem(`table ${name}: primary key column ${column} is not one of its columns`)
    if (table.version && !has(table.version)) problem(`table ${name}: version column ${table.version} is not one of its columns`)
    if (table.version && table.owner) problem(`table ${name}: a table is either an aggregate root (version) or a child (owner), not both`)
    if (!table.version && !table.owner) problem(`table ${name}: give it a version column (an aggregate root) or an owner (a child)`)
    if (table.owner) {
      const owner = mapping.tables[table.owner.table]
      if (!owner?.version) problem(`table ${name}: owner ${table.owner.table} is not an aggregate root of this mapping`)
      if (names.indexOf(table.owner.table) > index) problem(`table ${name}: its owner ${table.owner.table} must come before it`)
      if (owner && owner.primaryKey.length !== table.owner.columns.length) problem(`table ${name}: owner columns do not match ${table.owner.table}'s primary key`)
    }
    for (const fk of table.foreignKeys ?? []) {
      if (names.indexOf(fk.references) < 0 || names.indexOf(fk.references) > index) problem(`table ${name}: foreign key to ${fk.references}, which is not a table before it`)
      for (const column of fk.columns) if (!has(column)) problem(`table ${name}: foreign key column ${column} is not one of its columns`)
    }
  })
}
