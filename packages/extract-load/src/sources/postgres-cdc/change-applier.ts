import type pg from 'pg'
import type { Pgoutput } from 'pg-logical-replication'
import { EltError, qualifiedName, quoteIdent } from '@elt/core'
import { mapSchema } from '../../introspect/schema-map.ts'
import { recordTableChange } from '../../state/table-changes.ts'
import { lsnText, lsnValue } from './cdc-names.ts'
import { advanceCdcState } from './cdc-state.ts'
import { batchStatements, type ChangeBatch, type Row, type TargetTable } from './change-batch.ts'

/** Rows per set-based statement: bounds memory whatever the size of a source transaction. */
const batchRows = 5000

/**
 * Applies pgoutput messages to the destination: one destination transaction per source
 * transaction (opened at its first change, committed at its `Commit` together with the applied
 * LSN in `_elt.cdc_pipelines`), consecutive changes of one kind on one table as one set-based
 * statement. An update sets only the columns that came (an unchanged TOASTed value is not sent
 * and keeps the destination's value). A `Relation` message with a column the raw table lacks adds
 * it (`ALTER TABLE … ADD COLUMN`, in the same transaction, before the change that uses it); a
 * dropped or retyped column stops the pipeline with an error. With `tables`, only the pipeline's
 * tables are applied, each from the LSN its copy was taken at: a transaction whose commit record
 * lies before a table's `copiedLsns` entry is already in that table's copy (its changes and its
 * relation messages are skipped for that table, applied for the others).
 *
 * ```ts
 * const applier = new ChangeApplier({ destination, source, pipeline: 'postgres', targetSchema: 'raw' })
 * const committed = await applier.handle(message) // { lsn, commitAt, changes } at a Commit
 * ```
 */
export class ChangeApplier {
  /** Relations checked against their raw table (on their first applied change after a relation message). */
  private readonly tables = new Map<number, TargetTable>()
  private open = false
  private batch: ChangeBatch | undefined
  private changes = 0
  /** Per applied table, the LSN its copy was taken at (undefined: every change applies; null: a copy is due). */
  private readonly copiedFrom: Map<string, bigint | null | undefined> | undefined
  /** The commit LSN of the source transaction being received (its `Begin`). */
  private finalLsn = 0n
  /** Rows applied per source table (`public.accounts`) by committed transactions; a TRUNCATE counts in `truncated`. */
  readonly counts: Map<string, Counts>

  /** Tables changed by the source transaction being applied, with its counts (added to `counts` and recorded in `_elt.table_changes` at its commit). */
  private readonly touched = new Map<string, { relation: Pgoutput.MessageRelation; counts: Counts }>()

  constructor(
    private readonly options: {
      destination: pg.ClientBase
      source: pg.ClientBase
      pipeline: string
      targetSchema: string
      /** Record each changed table's LSN window in `_elt.table_changes` under this run (`fullCopy`: this run also copied the tables). */
      run?: { runId: string; fromLsn: string; fullCopy: boolean | readonly string[] }
      /** The pipeline's tables (`public.accounts`) and the LSN each one's copy was taken at; default: every change applies. */
      tables?: { names: readonly string[]; copiedLsns: Readonly<Record<string, string | null>> }
      /** Counts to add to (kept across reconnects); default a new map. */
      counts?: Map<string, Counts>
    },
  ) {
    this.counts = options.counts ?? new Map()
    const tables = options.tables
    if (tables) {
      this.copiedFrom = new Map(
        tables.names.map((t) => {
          const lsn = tables.copiedLsns[t]
          return [t, typeof lsn === 'string' ? lsnValue(lsn) : lsn]
        }),
      )
    }
  }

  /** Inside a source transaction (a change received, its commit not yet). */
  get inTransaction(): boolean {
    return this.open
  }

  async handle(message: Pgoutput.Message): Promise<{ lsn: string; commitAt: Date; changes: number } | undefined> {
    switch (message.tag) {
      case 'begin':
        this.finalLsn = lsnValue(message.commitLsn ?? '0/0')
        return undefined
      case 'relation':
        // checked against the raw table at its first applied change: a skipped transaction's shape may predate the table's copy
        await this.flush()
        this.tables.delete(message.relationOid)
        return undefined
      case 'insert':
        await this.add('insert', message.relation, message.new as Row, undefined)
        return undefined
      case 'update':
        await this.add('update', message.relation, message.new as Row, (message.key ?? message.old ?? undefined) as Row | undefined)
        return undefined
      case 'delete':
        await this.add('delete', message.relation, {}, (message.key ?? message.old ?? undefined) as Row | undefined)
        return undefined
      case 'truncate': {
        const relations = message.relations.filter((r) => this.applies(r))
        if (relations.length === 0) return undefined
        await this.flush()
        const names: string[] = []
        for (const r of relations) {
          const table = await this.target(r)
          names.push(qualifiedName(table.schema, table.name))
        }
        await this.begin()
        await this.options.destination.query(`truncate ${names.join(', ')}`)
        for (const r of relations) this.count(r).truncated++
        this.changes++
        return undefined
      }
      case 'commit':
        return this.commit(message)
      default:
        return undefined
    }
  }

  /** Rolls back what a failed or stopped source transaction applied (nothing was acknowledged for it). */
  async abort(): Promise<void> {
    this.batch = undefined
    this.touched.clear()
    this.changes = 0
    if (this.open) await this.options.destination.query('rollback').catch(() => {})
    this.open = false
  }

  private async begin(): Promise<void> {
    if (this.open) return
    await this.options.destination.query('begin')
    this.open = true
  }

  private async commit(message: Pgoutput.MessageCommit): Promise<{ lsn: string; commitAt: Date; changes: number }> {
    await this.flush()
    await this.begin()
    const lsn = lsnText(lsnValue(message.commitEndLsn as string)) // PostgreSQL's form (`0/228EBE8`), not the library's zero-padded one
    const commitAt = new Date(Number(message.commitTime.valueOf() as bigint / 1000n))
    await advanceCdcState(this.options.destination, this.options.pipeline, lsn, commitAt)
    const totals = await this.recordChanges(lsn)
    await this.options.destination.query('commit')
    this.open = false
    for (const [name, counts] of totals) this.counts.set(name, counts)
    const changes = this.changes
    this.changes = 0
    return { lsn, commitAt, changes }
  }

  /** Whether a change of `relation` in the transaction being received is applied (see `tables`). */
  private applies(relation: Pgoutput.MessageRelation): boolean {
    if (!this.copiedFrom) return true
    const name = `${relation.schema}.${relation.name}`
    if (!this.copiedFrom.has(name)) return false
    const from = this.copiedFrom.get(name)
    if (from === null) throw new EltError(`The copy of ${name} is not recorded as finished, yet its changes were about to be applied.`, { hint: 'Rerun pnpm elt replicate: it copies the table first.' })
    return from === undefined || this.finalLsn >= from
  }

  /** The raw table of `relation`, checked against the relation's columns on first use (see `relation`). */
  private async target(relation: Pgoutput.MessageRelation): Promise<TargetTable> {
    const known = this.tables.get(relation.relationOid)
    if (known) return known
    await this.flush()
    return this.relation(relation)
  }

  private async add(kind: ChangeBatch['kind'], relation: Pgoutput.MessageRelation, row: Row, identity: Row | undefined): Promise<void> {
    if (!this.applies(relation)) return
    const table = await this.target(relation)
    // an update whose key did not change (no old key sent) leaves the key columns alone: an identity column GENERATED ALWAYS takes no value
    const keptKey = kind === 'update' && identity === undefined ? new Set(table.key) : new Set<string>()
    const columns = kind === 'delete' ? [] : relation.columns.map((c) => c.name).filter((c) => row[c] !== undefined && !keptKey.has(c))
    const keyNames = table.key.length > 0 ? table.key : relation.columns.map((c) => c.name).filter((c) => identity?.[c] !== undefined)
    const source = identity ?? row
    const key = kind === 'insert' ? [] : keyNames.map((k) => source[k] ?? null)
    const keyText = JSON.stringify(key)
    const keyColumns = kind === 'insert' ? [] : keyNames
    const b = this.batch
    const fits = b && b.kind === kind && b.table === table && b.columns.join('\0') === columns.join('\0') && b.keyColumns.join('\0') === keyColumns.join('\0') && b.rows.length < batchRows
    // a row updated twice, or a key moved onto one the batch frees, must keep the source's order: another statement
    const newKeyText = kind === 'update' && identity !== undefined && table.key.length > 0 ? JSON.stringify(table.key.map((k) => row[k] ?? null)) : keyText
    if (!fits || (kind === 'update' && (b.seen.has(keyText) || b.seen.has(newKeyText)))) await this.flush()
    this.batch ??= { kind, table, columns, keyColumns, rows: [], seen: new Set() }
    this.batch.rows.push({ values: columns.map((c) => row[c] ?? null), key })
    if (kind === 'update') this.batch.seen.add(keyText).add(newKeyText)
    this.changes++
    this.count(relation)[kind === 'insert' ? 'inserted' : kind === 'update' ? 'updated' : 'deleted']++
  }

  /** The run's LSN window and counts so far of each table this transaction changed (`source_status:fresher` reads them). */
  private async recordChanges(lsn: string): Promise<Map<string, Counts>> {
    const run = this.options.run
    const totals = new Map<string, Counts>()
    for (const [name, { relation, counts: added }] of this.touched) {
      const before = this.counts.get(name)
      const counts = { inserted: 0, updated: 0, deleted: 0, truncated: 0 }
      for (const key of ['inserted', 'updated', 'deleted', 'truncated'] as const) counts[key] = (before?.[key] ?? 0) + added[key]
      totals.set(name, counts)
      if (!run) continue
      await recordTableChange(this.options.destination, {
        runId: run.runId,
        sourceName: this.options.pipeline,
        sourceTable: name,
        targetTable: `${mapSchema(relation.schema, this.options.targetSchema)}.${relation.name}`,
        strategy: 'cdc',
        fullCopy: typeof run.fullCopy === 'boolean' ? run.fullCopy : run.fullCopy.includes(name),
        fromMark: { lsn: run.fromLsn },
        toMark: { lsn },
        rows: counts.inserted + counts.updated + counts.deleted,
        inserted: counts.inserted,
        updated: counts.updated,
        // a TRUNCATE removes rows it does not count: counted as one, so the table shows as changed
        deleted: counts.deleted + counts.truncated,
      })
    }
    this.touched.clear()
    return totals
  }

  /** The counts of `relation` in the transaction being applied. */
  private count(relation: Pgoutput.MessageRelation): Counts {
    const name = `${relation.schema}.${relation.name}`
    let entry = this.touched.get(name)
    if (!entry) this.touched.set(name, (entry = { relation, counts: { inserted: 0, updated: 0, deleted: 0, truncated: 0 } }))
    return entry.counts
  }

  private async flush(): Promise<void> {
    const batch = this.batch
    this.batch = undefined
    if (!batch || batch.rows.length === 0) return
    await this.begin()
    for (const statement of batchStatements(batch)) await this.options.destination.query(statement.text, statement.values)
  }

  /** A relation's columns against the raw table's: added columns added, anything else unsafe stops the pipeline. */
  private async relation(relation: Pgoutput.MessageRelation): Promise<TargetTable> {
    const schema = mapSchema(relation.schema, this.options.targetSchema)
    const { rows } = await this.options.destination.query<{ name: string; type: string }>(
      `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type from pg_attribute a
       where a.attrelid = to_regclass($1) and a.attnum > 0 and not a.attisdropped and a.attgenerated = '' order by a.attnum`,
      [qualifiedName(schema, relation.name)],
    )
    const label = `${relation.schema}.${relation.name}`
    const stop = (what: string) =>
      new EltError(`Change data capture of ${label} stopped: ${what}. Nothing after the last applied transaction was written.`, {
        hint: 'Copy the table again: pnpm elt cdc drop, then pnpm elt replicate (a new slot and a full initial copy).',
      })
    if (rows.length === 0) throw stop(`the destination table ${qualifiedName(schema, relation.name)} is missing`)
    const types = new Map(rows.map((r) => [r.name, r.type]))
    const sent = new Set(relation.columns.map((c) => c.name))
    const dropped = rows.filter((r) => !sent.has(r.name)).map((r) => r.name)
    if (dropped.length > 0) throw stop(`column ${dropped.map((d) => `"${d}"`).join(', ')} no longer exists on the source (dropped or renamed)`)
    for (const column of relation.columns) {
      const { rows: typed } = await this.options.source.query<{ type: string }>('select format_type($1::oid, $2) as type', [column.typeOid, column.typeMod])
      const type = typed[0]?.type ?? 'text'
      const existing = types.get(column.name)
      if (existing === undefined) {
        if (column.typeOid >= 16384) throw stop(`column "${column.name}" was added with the user-defined type ${type}`)
        await this.begin()
        await this.options.destination.query(`alter table ${qualifiedName(schema, relation.name)} add column ${quoteIdent(column.name)} ${type}`)
        types.set(column.name, type)
      } else if (column.typeOid < 16384 && existing !== type) {
        throw stop(`column "${column.name}" changed type from ${existing} to ${type}`)
      }
    }
    const key = relation.replicaIdentity === 'full' ? [] : relation.keyColumns
    const table = { schema, name: relation.name, types, key }
    this.tables.set(relation.relationOid, table)
    return table
  }
}

/** Rows a stream applied to one table. */
export interface Counts {
  inserted: number
  updated: number
  deleted: number
  truncated: number
}
