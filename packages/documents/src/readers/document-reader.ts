/** A document as a reader yields it: BSON values (ObjectId, Date, Decimal128, Long, Int32, Double) inside plain objects. */
export type SourceDocument = Record<string, unknown>

/**
 * The source side of a document load, the counterpart of extract-load's table `SourceReader`:
 * a reader yields documents, one at a time, and never writes to the destination. The loader
 * (`loadDocuments`) validates, normalises and applies them; stopping the iteration (a failure,
 * an abort) runs the reader's `finally` and closes its files or cursor.
 *
 * ```ts
 * for await (const document of mongodbExportReader.read({ kind: 'mongodb-export', path: 'dump/*.bson.gz' }, {})) { … }
 * ```
 */
export interface DocumentReader<Config> {
  readonly kind: string
  /** Where the documents come from, for run records (never a password). */
  describe(config: Config): string
  read(config: Config, options: DocumentReadOptions): AsyncIterable<SourceDocument>
}

export interface DocumentReadOptions {
  /** Incremental reads: only documents whose incremental field is greater than this high-water mark. */
  since?: Date
  /** Relative paths resolve against it (the config file's folder); default the current folder. */
  baseDir?: string
  signal?: AbortSignal
}
