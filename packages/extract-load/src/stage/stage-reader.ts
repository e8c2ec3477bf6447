import path from 'node:path'
import { EltError } from '@elt/core'
import { sourceName, type SequenceDef, type TableDef, type UserTypeDef } from '../introspect/catalog.ts'
import type { ReaderSession, SourcePlan, SourceReader, TablePart, TableReader } from '../sources/source-reader.ts'
import type { StagedSourceDay } from './check-staged-day.ts'
import { verifiedFileStream } from './verified-file-stream.ts'

/** What the stage reader reads: one source's day, already checked complete by `checkStagedDay`. */
export interface StageReaderConfig {
  stageDir: string
  day: StagedSourceDay
}

const key = (t: { schema: string; name: string }) => sourceName(t)

/**
 * The stage as a source: a day's files read back exactly as extracted. `discover()` returns the
 * tables and user types from the manifests (the types as they were that day, whatever the
 * source is now); `read()` yields one part per data file in the manifest's COPY format, each
 * checked against its sha256 while it streams, with `rowsSent()` = the manifest's rows (the
 * writer compares them with what its COPY loaded). It never connects to the source database.
 *
 * ```ts
 * const [day] = await checkStagedDay(stageDir, '2024-01-15', [{ source: 'postgres' }])
 * const session = await stageReader.open({ stageDir, day }, context)
 * ```
 */
export const stageReader: SourceReader<StageReaderConfig> = {
  kind: 'stage',
  async open(config): Promise<ReaderSession> {
    const { day } = config
    const byTable = new Map(day.tables.map((t) => [key(t.manifest.table), t]))
    const tables = [...day.tables].sort((a, b) => b.manifest.bytes - a.manifest.bytes).map((t) => t.manifest.table)
    const types = new Map<string, UserTypeDef>()
    for (const t of day.tables) for (const type of t.manifest.types) types.set(`${type.targetSchema}.${type.name}`, type)
    const plan: SourcePlan = { tables, types: [...types.values()].sort((a, b) => a.oid - b.oid), sequences: sequencesOf(day, tables) }
    const reader: TableReader = {
      read(table, options) {
        const staged = byTable.get(key(table))
        if (!staged) throw new EltError(`${key(table)} is not part of the staged day ${day.record.date} of ${day.source}.`)
        return parts(staged, `${day.source}: ${staged.folder} (${day.record.date})`, options.signal)
      },
      async done() {},
      async close() {},
    }
    return {
      snapshotAt: new Date(day.record.snapshotAt),
      description: `stage ${path.join(config.stageDir, day.source)} day ${day.record.date} (extract run ${day.record.runId})`,
      discover: async () => plan,
      worker: async () => reader,
      // the values read at the end of the extract, as the source's reader returned them
      finish: async () => ({ sequences: new Map(Object.entries(day.record.sequenceValues)) }),
      close: async () => {},
    }
  },
}

async function* parts(staged: StagedSourceDay['tables'][number], label: string, signal?: AbortSignal): AsyncIterable<TablePart> {
  for (const file of staged.manifest.files) {
    if (signal?.aborted) throw signal.reason
    const stream = verifiedFileStream(path.join(staged.dir, file.name), {
      sha256: file.sha256,
      fileBytes: file.fileBytes,
      gzip: file.name.endsWith('.gz'),
      label,
    })
    yield { label: `${label} ${file.name}`, stream, format: file.format, rowsSent: () => file.rows }
  }
}

/** The day's sequences the loaded tables use (all of them when the whole day is loaded). */
function sequencesOf(day: StagedSourceDay, tables: readonly TableDef[]): SequenceDef[] {
  if (tables.length === day.record.tables.length) return day.record.sequences
  const used = new Set<string>()
  for (const t of tables) {
    for (const c of t.columns) {
      if (c.identitySequenceName) used.add(`${c.identitySequenceName.schema}.${c.identitySequenceName.name}`)
      for (const s of c.ownedSequences) used.add(`${s.schema}.${s.name}`)
    }
  }
  return day.record.sequences.filter((s) => used.has(`${s.schema}.${s.name}`))
}
