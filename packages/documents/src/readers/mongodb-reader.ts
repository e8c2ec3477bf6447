import type { Document, Filter } from 'mongodb'
import { EltError, ExitCode, redactUrl } from '@elt/core'
import type { DocumentReader, SourceDocument } from './document-reader.ts'

export interface MongodbConfig {
  kind: 'mongodb'
  /** `mongodb://` or `mongodb+srv://` connection string. */
  uri: string
  database: string
  collection: string
  /** A MongoDB query filter (`{ status: 'ativo' }`), ANDed with the incremental condition. */
  filter?: Record<string, unknown>
  /** Only documents whose `field` is greater than the last run's high-water mark (kept in `_elt.document_marks`). */
  incremental?: { field: string }
}

/** Documents per round trip: the cursor holds one batch at a time, never the collection. */
export const mongodbBatchSize = 1000

/**
 * Streams a live collection with the official driver: one cursor, `readConcern: 'majority'`
 * (only data a majority of the replica set acknowledged, so a rolled-back write is never loaded),
 * batches of `mongodbBatchSize`, sorted by the incremental field when there is one (so the
 * high-water mark only moves past documents that were read). Closed when the iteration stops.
 *
 * ```ts
 * mongodbReader.read({ kind: 'mongodb', uri, database: 'credito', collection: 'contratos_ccb', incremental: { field: 'atualizado_em' } }, { since })
 * // db.contratos_ccb.find({ $and: [filter, { atualizado_em: { $gt: since } }] }).sort({ atualizado_em: 1 }).batchSize(1000)
 * ```
 */
export const mongodbReader: DocumentReader<MongodbConfig> = {
  kind: 'mongodb',
  describe: (config) => `${redactUrl(config.uri)} ${config.database}.${config.collection}`,
  async *read(config, options) {
    // the driver (≈ 10 MB of RSS, with a bson copy of its own) loads only when a live collection is read
    const { MongoClient } = await import('mongodb')
    let client: InstanceType<typeof MongoClient>
    try {
      client = new MongoClient(config.uri, { readConcern: { level: 'majority' }, serverSelectionTimeoutMS: 30_000, connectTimeoutMS: 30_000, socketTimeoutMS: 300_000, appName: 'elt' })
    } catch (error) {
      // the driver parses the URI here (MongoParseError): a configuration error, said without the password
      const reason = (error instanceof Error ? error.message : String(error)).split(config.uri).join(redactUrl(config.uri))
      throw new EltError(`The uri of the mongodb source is not a valid MongoDB connection string (${redactUrl(config.uri)}): ${reason}`, {
        hint: 'Write it as mongodb://user:password@host:27017/?replicaSet=rs0 or mongodb+srv://user:password@cluster.example.net/ (percent-encode special characters in the password).',
        exitCode: ExitCode.usage,
        cause: error,
      })
    }
    const abort = () => void client.close(true).catch(() => {})
    options.signal?.addEventListener('abort', abort, { once: true })
    try {
      try {
        await client.connect()
      } catch (error) {
        throw new EltError(`Could not connect to MongoDB at ${redactUrl(config.uri)}: ${error instanceof Error ? error.message : String(error)}`, {
          hint: 'Check the uri of the mongodb source and that the server (a replica set member, for readConcern majority) is reachable.',
          exitCode: ExitCode.failure,
          cause: error,
        })
      }
      const field = config.incremental?.field
      const conditions: Filter<Document>[] = []
      if (config.filter) conditions.push(config.filter as Filter<Document>)
      if (field && options.since) conditions.push({ [field]: { $gt: options.since } })
      const query: Filter<Document> = conditions.length === 0 ? {} : conditions.length === 1 ? conditions[0]! : { $and: conditions }
      const collection = client.db(config.database).collection(config.collection, { readConcern: { level: 'majority' } })
      const cursor = collection.find(query, { batchSize: mongodbBatchSize, ...(field ? { sort: { [field]: 1, _id: 1 } } : {}) })
      try {
        for await (const document of cursor) {
          options.signal?.throwIfAborted()
          yield document as SourceDocument
        }
      } finally {
        await cursor.close().catch(() => {})
      }
    } finally {
      options.signal?.removeEventListener('abort', abort)
      await client.close().catch(() => {})
    }
  },
}
