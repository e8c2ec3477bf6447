import path from 'node:path'
import { EltError } from '@elt/core'
import { sourceName, type SequenceDef, type TableDef, type UserTypeDef } from '../introspect/catalog.ts'
import type { ReaderSession, SourcePlan, SourceReader, TablePart, TableReader, TableSelection } from '../sources/source-reader.ts'
import { tableMatcher } from '../introspect/select-tables.ts'
import type { StagedSourceDay } from './check-staged-day.ts'
import type { RejectedCsvRow } from '../sources/csv/rejected-rows.ts'
import { stagedCsvPlan } from './explain-staged-csv.ts'
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
    const planOf = (only?: TableSelection): SourcePlan => {
      const include = (only?.include ?? []).map(tableMatcher)
      const exclude = (only?.exclude ?? []).map(tableMatcher)
      const chosen = [...day.tables]
        .map((t) => t.manifest.table)
        .filter((t) => (include.length === 0 || include.some((m) => m(t.schema, t.name))) && !exclude.some((m) => m(t.schema, t.name)))
        .sort((a, b) => byTable.get(key(b))!.manifest.bytes - byTable.get(key(a))!.manifest.bytes)
      const tables = withinLoaded(chosen)
      const types = new Map<string, UserTypeDef>()
      for (const t of chosen) for (const type of byTable.get(key(t))!.manifest.types) types.set(`${type.targetSchema}.${type.name}`, type)
      return { tables, types: [...types.values()].sort((a, b) => a.oid - b.oid), sequences: sequencesOf(day, tables) }
    }
    let plan = planOf()
    const csvPlans = new Map(day.tables.flatMap((t) => (t.manifest.csv ? [[key(t.manifest.table), stagedCsvPlan({ ...t.manifest, csv: t.manifest.csv })] as const] : [])))
    const fileOf = new WeakMap<TablePart, string>()
    const reader: TableReader = {
      read(table, options) {
        const staged = byTable.get(key(table))
        if (!staged) throw new EltError(`${key(table)} is not part of the staged day ${day.record.date} of ${day.source}.`)
        const rejected = options.rejected
        const onRejected = rejected && ((row: RejectedCsvRow) => rejected({ location: row.file, line: row.line, raw: row.raw, reason: row.reason }))
        return parts(staged, `${day.source}: ${staged.folder} (${day.record.date})`, fileOf, csvPlans.get(key(table)), onRejected, options.signal)
      },
      async explain(table, error, part) {
        return csvPlans.get(key(table))?.explain(table, error, part ? fileOf.get(part) : undefined)
      },
      async done() {},
      async close() {},
    }
    return {
      snapshotAt: new Date(day.record.snapshotAt),
      description: `stage ${path.join(config.stageDir, day.source)} day ${day.record.date} (extract run ${day.record.runId})`,
      quarantines: day.tables.some((t) => t.manifest.csv?.onError === 'quarantine'),
      async discover(only) {
        plan = planOf(only)
        return plan
      },
      worker: async () => reader,
      // the values read at the end of the extract, as the source's reader returned them
      // (the writer sets those of the plan's sequences and identity columns)
      finish: async () => ({ sequences: new Map(Object.entries(day.record.sequenceValues)) }),
      close: async () => {},
    }
  },
}

async function* parts(
  staged: StagedSourceDay['tables'][number],
  label: string,
  fileOf: WeakMap<TablePart, string>,
  csv: ReturnType<typeof stagedCsvPlan> | undefined,
  onRejected: ((row: RejectedCsvRow) => Promise<void>) | undefined,
  signal?: AbortSignal,
): AsyncIterable<TablePart> {
  for (const file of staged.manifest.files) {
    if (signal?.aborted) throw signal.reason
    const name = path.join(staged.dir, file.name)
    const stream = verifiedFileStream(name, {
      sha256: file.sha256,
      fileBytes: file.fileBytes,
      gzip: file.name.endsWith('.gz'),
      label,
    })
    // quarantine: good rows only, as COPY text (how many is known once parsed, not from the manifest)
    const good = csv && onRejected ? csv.quarantine(stream, name, onRejected) : undefined
    const part: TablePart = good
      ? { label: `${label} ${file.name}`, stream: good.stream, format: good.format, rowsSent: () => undefined }
      : { label: `${label} ${file.name}`, stream: csv ? csv.guard(stream, name, file.format) : stream, format: csv ? csv.format(file.format, name) : file.format, rowsSent: () => file.rows }
    fileOf.set(part, name)
    yield part
  }
}

/**
 * The tables as loaded together: a foreign key to a table outside the set is not added
 * (`replicated: false`), and only keys of relations in the set count as incoming keys — as the
 * PostgreSQL reader does for a selection.
 */
function withinLoaded(tables: readonly TableDef[]): TableDef[] {
  const loaded = new Set(tables.map(key))
  const relations = new Set(tables.flatMap((t) => [`${t.targetSchema}.${t.name}`, ...t.partitions.map((p) => `${t.targetSchema}.${p.name}`)]))
  const keep = <K extends { replicated: boolean; sourceRef: string }>(k: K): K => ({ ...k, replicated: k.replicated && loaded.has(k.sourceRef) })
  return tables.map((t) => ({
    ...t,
    foreignKeys: t.foreignKeys.map(keep),
    partitions: t.partitions.map((p) => ({ ...p, foreignKeys: p.foreignKeys.map(keep) })),
    referencedBy: t.referencedBy.filter((r) => relations.has(`${r.relation.schema}.${r.relation.name}`)),
  }))
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
