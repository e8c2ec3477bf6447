import { EltError, ExitCode, type DatabaseTarget } from '@elt/core'
import { sourceDatabase, type StageSourceConfig } from '../stage/stage-config.ts'
import type { SourceToLoad } from '../write/load-sources-options.ts'
import { csvReader } from './csv/csv-reader.ts'
import { postgresReader } from './postgres/postgres-reader.ts'
import type { SourceReader } from './source-reader.ts'

/** The reader of each source kind (`kind` in `sources.<name>` of elt.config.ts). A new kind adds its reader here. */
export const sourceReaders: Readonly<Record<string, SourceReader<never>>> = { postgres: postgresReader, csv: csvReader }

/** Kinds loaded by `@elt/documents` through a document mapping (validated, upserted): not table sources, neither read nor staged here. */
const documentKinds: ReadonlySet<string> = new Set(['mongodb', 'mongodb-export'])
export const isDocumentSourceKind = (kind: string): boolean => documentKinds.has(kind)

/**
 * The configured sources (`config.sources` of the resolved config, in config order) as
 * `loadSources` takes them: each with the reader of its kind, its own settings as the reader's
 * config, its target schema, and for a postgres source its database (`url`, else the command's
 * source database: SOURCE_DATABASE_URL or the embedded default).
 *
 * ```ts
 * configuredSources(config.sources, await context.databases())
 * // [{ name: 'postgres', reader: postgresReader, config: { kind: 'postgres', … }, targetSchema: 'raw', database }, { name: 'ticket_sales', reader: csvReader, … }]
 * ```
 */
export function configuredSources(sources: Readonly<Record<string, StageSourceConfig>>, databases: { source: DatabaseTarget; destination: DatabaseTarget }): SourceToLoad[] {
  // document sources (mongodb, mongodb-export) are upserted by @elt/documents, not read as tables
  return Object.entries(sources).filter(([, config]) => !isDocumentSourceKind(config.kind)).map(([name, config]) => {
    const reader = sourceReaders[config.kind]
    if (!reader) {
      throw new EltError(`Source "${name}" is of kind "${config.kind}", which has no reader.`, {
        hint: `Known kinds: ${Object.keys(sourceReaders).join(', ')}.`,
        exitCode: ExitCode.usage,
      })
    }
    const database = sourceDatabase(name, config, databases)
    return { name, reader, config, targetSchema: config.targetSchema, ...(database ? { database } : {}) }
  })
}
