import type pg from 'pg'
import copyStreams from 'pg-copy-streams'
import { EltError, ExitCode, classifyPgError, connectClient, describeTarget, qualifiedName, sessionOf, type DatabaseTarget } from '@elt/core'
import { exportSnapshot, importSnapshot } from '../../extract/export-snapshot.ts'
import { sourceName, targetName, type TableDef } from '../../introspect/catalog.ts'
import { readPlan, type ReplicationPlan } from '../../introspect/read-plan.ts'
import { applySessionSettings, serverMajor } from '../../session-settings.ts'
import { contentHash } from '../../verify/content-hash.ts'
import { discardClient } from '../../write/copy-part.ts'
import { isStatementTimeout, readTimeoutLimit, statementTimeoutError } from '../../write/explain-timeout.ts'
import type { CopyFormat, ReaderSession, SequenceValue, SourceReader, TableReader } from '../source-reader.ts'
import { copyOutSql, postgresCsvFormat } from './copy-out-sql.ts'
import { cursorWindowSql, highWaterMarkSql } from './cursor-window-sql.ts'

/** A `postgres` source as configured (`sources.<name>` in elt.config.ts); its database comes in the context. */
export interface PostgresReaderConfig {
  kind?: string
  /** Source schemas (default `['public']`): `public` lands in the target schema, another `s` in `<targetSchema>_s`. */
  schemas?: readonly string[]
  /** Only tables matching one of these patterns (`films`, `public.film_*`). */
  include?: readonly string[]
  exclude?: readonly string[]
  targetSchema?: string
  /**
   * Read as of this exported snapshot (a logical replication slot's, `CREATE_REPLICATION_SLOT …
   * (SNAPSHOT 'export')`) instead of exporting one: the coordinator imports it too. Its exporter
   * must stay open until the session is closed.
   */
  snapshotId?: string
}

/**
 * PostgreSQL as a source. `open` exports one snapshot (`REPEATABLE READ`, `pg_export_snapshot()`)
 * on a coordinator connection; `discover` reads the catalog inside it (tables with exact types,
 * keys, partitions, user types, sequences; largest first); each writer worker gets its own
 * connection that imports the snapshot per table and streams `COPY … TO STDOUT`: binary when the
 * destination has the same major version and every column type is built in, else text, or CSV
 * with a header when asked (the stage). `finish` releases the snapshot and reads the sequences.
 *
 * ```ts
 * const session = await postgresReader.open({ schemas: ['public'] }, { sourceName: 'postgres', targetSchema: 'raw', database, … })
 * // BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot()
 * ```
 */
export const postgresReader: SourceReader<PostgresReaderConfig> = {
  kind: 'postgres',
  async open(config, context) {
    const database = context.database
    if (database === undefined) {
      throw new EltError(`Source "${context.sourceName}" (postgres) has no database to read.`, { hint: 'Set its url in elt.config.ts or SOURCE_DATABASE_URL.', exitCode: ExitCode.usage })
    }
    const connect = async (name: string): Promise<pg.Client> => {
      const client = await connectClient(database, { waitSeconds: context.connectWaitSeconds, logger: context.logger, applicationName: name })
      await applySessionSettings(client).catch(async (error: unknown) => {
        await client.end().catch(() => {})
        throw error
      })
      return client
    }
    const coordinator = await connect('elt-replicate')
    let snapshot: { id: string; at: Date; major: number }
    try {
      let id = config.snapshotId
      if (id === undefined) id = await exportSnapshot(coordinator)
      else await importSnapshot(coordinator, id)
      const { rows } = await coordinator.query<{ at: Date }>('select now() as at') // the snapshot's instant, by the source's clock
      snapshot = { id, at: rows[0]?.at ?? new Date(), major: await serverMajor(coordinator) }
    } catch (error) {
      await coordinator.end().catch(() => {})
      throw error
    }
    let plan: ReplicationPlan | undefined
    const session: ReaderSession = {
      snapshotAt: snapshot.at,
      description: describeTarget(database),
      backend: () => sessionOf(coordinator, database),
      async discover(only) {
        plan = await readPlan(coordinator, {
          ...(only ? { only } : {}),
          schemas: config.schemas ?? ['public'],
          ...(config.include ? { include: config.include } : {}),
          ...(config.exclude ? { exclude: config.exclude } : {}),
          targetSchema: context.targetSchema,
        })
        return plan
      },
      worker: async () => tableReader(await connect('elt-replicate-copy'), snapshot, database),
      async finish() {
        await coordinator.query('COMMIT')
        return { sequences: await readSequenceValues(coordinator, plan) }
      },
      async close() {
        await coordinator.end().catch(() => {})
      },
    }
    return session
  },
}

/** One worker's connection: each table read in its own transaction on the exported snapshot. */
function tableReader(client: pg.Client, snapshot: { id: string; major: number }, database: DatabaseTarget): TableReader {
  return {
    backend: () => sessionOf(client, database),
    async *read(table, options) {
      await importSnapshot(client, snapshot.id)
      const kind: CopyFormat['kind'] =
        options.preferred === 'csv' ? 'csv' : options.preferred === 'binary' && options.destinationMajor === snapshot.major && table.columns.every((c) => c.builtin) ? 'binary' : 'text'
      const format: CopyFormat = kind === 'csv' ? postgresCsvFormat : { kind }
      const out = client.query(copyStreams.to(copyOutSql(table, kind, { where: cursorWindowSql(table, options.window) })))
      yield { label: sourceName(table), stream: out, format, rowsSent: () => out.rowCount, cancel: () => discardClient(client) }
    },
    async highWaterMark(table, cursor, window) {
      const { rows } = await client.query<{ mark: string[] }>(highWaterMarkSql(table, qualifiedName(table.schema, table.name), cursor, window))
      return rows[0]?.mark ?? null
    },
    async *readKeys(table, key, options) {
      const builtin = key.every((k) => table.columns.find((c) => c.name === k)?.builtin === true)
      const kind = options.preferred === 'binary' && options.destinationMajor === snapshot.major && builtin ? 'binary' : 'text'
      const out = client.query(copyStreams.to(copyOutSql(table, kind, { columns: key, ...(options.orderBy ? { orderBy: options.orderBy } : {}) })))
      yield { label: `${sourceName(table)} (keys)`, stream: out, format: { kind }, rowsSent: () => out.rowCount, cancel: () => discardClient(client) }
    },
    // COPY of a plain table reads only its own rows, not those of tables inheriting from it
    contentHash: (table) => contentHash(client, qualifiedName(table.schema, table.name), { only: table.partitionKey === null }),
    async explain(table, error) {
      return explainSourceError(client, table, error)
    },
    async done() {
      await client.query('ROLLBACK') // read only: releases the snapshot's transaction
    },
    async close() {
      await client.end().catch(() => {})
    },
  }
}

/** A table that vanished from the source after the snapshot was taken, a snapshot that is gone, or the source's statement_timeout, explained for people. */
async function explainSourceError(client: pg.ClientBase, table: TableDef, error: unknown): Promise<{ error: Error } | undefined> {
  if (error instanceof Error && /invalid snapshot identifier/i.test(error.message)) {
    return {
      error: new EltError(`The source connection holding the replication's snapshot was lost, so ${sourceName(table)} could not be read as of the same instant.`, {
        hint: 'Rerun: tables that finished are kept and not copied again.',
        cause: error,
      }),
    }
  }
  if (isStatementTimeout(error)) {
    const limit = await readTimeoutLimit(client, 'source')
    return limit ? { error: statementTimeoutError(error, table, [limit]) } : undefined
  }
  if (classifyPgError(error) !== 'undefined-table') return undefined
  const { rows } = await client.query<{ oid: string | null }>('select to_regclass($1)::text as oid', [qualifiedName(table.schema, table.name)]).catch(() => ({ rows: [{ oid: 'unknown' }] }))
  if (rows[0]?.oid !== null) return undefined
  return {
    error: new EltError(`The source table ${sourceName(table)} was dropped while the replication was running, so it could not be copied.`, {
      hint: `The previous copy of ${targetName(table)} (if any) was kept. Rerun to replicate the tables that exist now, or exclude the table in elt.config.ts.`,
      cause: error,
    }),
  }
}

/**
 * The current value of every sequence the plan replicates (serial/default sequences and identity
 * columns), read after the data was copied, keyed by the source's `schema.name`.
 *
 * ```sql
 * select last_value::text as value, is_called as called from "public"."films_film_id_seq"
 * ```
 */
async function readSequenceValues(client: pg.ClientBase, plan: ReplicationPlan | undefined): Promise<Map<string, SequenceValue>> {
  const values = new Map<string, SequenceValue>()
  const names = [
    ...(plan?.sequences ?? []),
    ...(plan?.tables ?? []).flatMap((t) => t.columns.flatMap((c) => (c.identity !== null && c.identitySequenceName !== null ? [c.identitySequenceName] : []))),
  ]
  for (const s of names) {
    const { rows } = await client.query<SequenceValue>(`select last_value::text as value, is_called as called from ${qualifiedName(s.schema, s.name)}`)
    if (rows[0]) values.set(`${s.schema}.${s.name}`, rows[0])
  }
  return values
}
