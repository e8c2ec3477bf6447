/** What introspection reads from the source catalog: the plain data the DDL and COPY steps work from. */

export interface SequenceOptions {
  dataType: string
  start: string
  increment: string
  min: string
  max: string
  cache: string
  cycle: boolean
}

/** Sequence options from a catalog row with `seq_type`, `seq_start`, `seq_increment`, `seq_min`, `seq_max`, `seq_cache`, `seq_cycle` columns. */
export function sequenceOptionsOf(r: Record<string, unknown>): SequenceOptions {
  return {
    dataType: r.seq_type as string,
    start: r.seq_start as string,
    increment: r.seq_increment as string,
    min: r.seq_min as string,
    max: r.seq_max as string,
    cache: r.seq_cache as string,
    cycle: r.seq_cycle as boolean,
  }
}

export interface ColumnDef {
  name: string
  /** `format_type()` read with `search_path` = the table's schema, user types from other schemas already mapped. */
  type: string
  /** Built-in type (oid below 16384): same oid and binary format on every server of the same major version. */
  builtin: boolean
  notNull: boolean
  /** Default expression (`pg_get_expr`), or null. */
  default: string | null
  /** Expression of a `GENERATED ALWAYS AS (…) STORED` column: never copied, the destination computes it. */
  generated: string | null
  identity: 'always' | 'by default' | null
  identitySequence: SequenceOptions | null
  /** Source identity sequence (schema, name): its value is read in the `sequences` step and its name restored after the swap. */
  identitySequenceName: { schema: string; name: string } | null
  /** `COLLATE …` clause when the column's collation differs from its type's. */
  collation: string | null
  /** `SET STATISTICS n` when set on the column, else null. */
  statistics: number | null
  /** `SET STORAGE …` when it differs from the type's (`plain`, `external`, `extended`, `main`), else null. */
  storage: string | null
  /** `SET COMPRESSION …` when set (`pglz`, `lz4`), else null. */
  compression: string | null
  /** Source sequences `OWNED BY` this column (a `serial`'s): owned by the new copy's column after the swap. */
  ownedSequences: { schema: string; name: string }[]
}

export interface ConstraintDef {
  name: string
  /** `p` primary key, `u` unique, `x` exclusion: index-backed, built after the data; `c` check: part of CREATE TABLE. */
  kind: 'p' | 'u' | 'x' | 'c'
  /** `pg_get_constraintdef()`, e.g. `PRIMARY KEY (film_id)`. */
  definition: string
}

export interface IndexDef {
  name: string
  unique: boolean
  /** Everything after `ON <table>`, e.g. `USING btree (lower(title)) WHERE (price > 0)`. */
  tail: string
}

export interface ForeignKeyDef {
  name: string
  /** `pg_get_constraintdef()` with the referenced table already mapped to the destination. */
  definition: string
  /** Destination table it references (schema, name). */
  references: { schema: string; name: string }
  /** Source table it references, `schema.name`. */
  sourceRef: string
  /** Whether the referenced table is replicated by this run: a key to a table outside the selection is skipped. */
  replicated: boolean
  /** False for a key the source has `NOT VALID` (rows may break it): it stays `NOT VALID` in the destination. */
  validated: boolean
}

/**
 * What a table or a partition declares itself. A partition lists only what was declared on it,
 * not what it inherits from its parent (PostgreSQL recreates those with the parent's).
 */
export interface RelationParts {
  /** `p`/`u`/`x` built after the data; `c` part of the `CREATE TABLE`. */
  constraints: ConstraintDef[]
  indexes: IndexDef[]
  foreignKeys: ForeignKeyDef[]
  /** `UNLOGGED` in the source: so in the destination. */
  unlogged: boolean
  /** Storage parameters, e.g. `fillfactor=80, autovacuum_enabled=false` (`WITH (…)`), or null. */
  options: string | null
}

export interface PartitionDef extends RelationParts {
  name: string
  /** Name of its parent (the table itself or a sub-partitioned partition). */
  parent: string
  /** `FOR VALUES …` or `DEFAULT`. */
  bound: string
  /** `RANGE (logdate)` when the partition is itself partitioned. */
  partitionKey: string | null
  /**
   * The partition's indexes that are partitions of an index of its parent, by name: PostgreSQL
   * names those it creates itself, so they are renamed to the source's names after the swap.
   */
  attachedIndexes: { name: string; parentIndex: string }[]
  /** NOT NULL and default of each column on the partition itself: where they differ from its parent's, they are set on it. */
  columns: { name: string; notNull: boolean; default: string | null }[]
}

/** A foreign key of a replicated relation (a table or a partition) to a table, seen from the referenced table. */
export interface IncomingKeyDef {
  /** Destination relation the key is declared on. */
  relation: { schema: string; name: string }
  /** The relation is partitioned (no `NOT VALID` key there). */
  partitioned: boolean
  key: ForeignKeyDef
}

export interface TableDef extends RelationParts {
  oid: number
  schema: string
  name: string
  targetSchema: string
  partitionKey: string | null
  /** Partitions at every level, parents before their children. */
  partitions: PartitionDef[]
  columns: ColumnDef[]
  /** The replicated relations' foreign keys to this table: its swap adds those whose relation is there. */
  referencedBy: IncomingKeyDef[]
  /** `pg_total_relation_size` (all partitions): orders the work, largest first. */
  estimatedBytes: number
}

export interface UserTypeDef {
  /** Source oid: types are created in oid order. */
  oid: number
  schema: string
  targetSchema: string
  name: string
  kind: 'enum' | 'domain' | 'composite' | 'range'
  /** Enum labels in order. */
  labels: string[]
  /** Domain: base type; range: subtype. */
  baseType: string | null
  /** Domain: `NOT NULL`, `DEFAULT …` and `CONSTRAINT … CHECK (…)` clauses. */
  domainClauses: string[]
  /** Composite attributes. */
  attributes: { name: string; type: string }[]
}

export interface SequenceDef {
  schema: string
  targetSchema: string
  name: string
  options: SequenceOptions
}

/** A source table with where it lands: `public.films` → `raw.films`. */
export const sourceName = (t: { schema: string; name: string }): string => `${t.schema}.${t.name}`
export const targetName = (t: { targetSchema: string; name: string }): string => `${t.targetSchema}.${t.name}`
