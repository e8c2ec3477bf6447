import { readFile } from 'node:fs/promises'
import { EltError } from '@elt/core'
import type { SequenceDef, TableDef, UserTypeDef } from '../introspect/catalog.ts'
import type { CopyFormat, SequenceValue } from '../sources/source-reader.ts'

/** One data file of a staged table. */
export interface StagedFile {
  /** `part-0001.csv.gz`, in the table's day folder. */
  name: string
  format: CopyFormat
  /** Rows in the file (the source's count, checked against the bytes written). */
  rows: number
  /** Data bytes before compression. */
  bytes: number
  /** Bytes on disk and their sha256 (hex): checked while the file is read back. */
  fileBytes: number
  sha256: string
}

/**
 * `_manifest.json` of a table's day folder: everything the writer needs to recreate the table
 * as it was extracted (exact column types, keys, indexes, the user types it may use), and what
 * the load checks the files against.
 */
export interface StageManifest {
  version: 1
  source: string
  sourceKind: string
  /** The table's folder name (`public.films`, or a CSV source's `table`). */
  folder: string
  date: string
  runId: string
  /** The instant the source's data is as of (its snapshot, or when its files were listed). */
  snapshotAt: string
  extractedAt: string
  /** Where the rows came from (never a password). */
  sourceDescription: string
  compression: 'none' | 'gzip'
  table: TableDef
  types: UserTypeDef[]
  rows: number
  bytes: number
  files: StagedFile[]
  /**
   * A CSV source's columns declared in its config (the others were inferred and may be widened
   * at load, as a direct load does), whether its encoding was declared, and its `onError`.
   */
  csv?: { declaredColumns: string[]; declaredEncoding: boolean; onError: 'fail' | 'quarantine' }
}

/** `_days/<date>.json`: written last by an extract; a day is complete when every table it lists has its manifest from the same run. */
export interface StageDayRecord {
  version: 1
  source: string
  sourceKind: string
  date: string
  runId: string
  snapshotAt: string
  finishedAt: string
  /** Table folder names, in load order (largest first). */
  tables: string[]
  sequences: SequenceDef[]
  /** Sequence values read at the end of the extract (`schema.name` → value). */
  sequenceValues: Record<string, SequenceValue>
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Reads and checks the shape of a stage JSON file; a missing file is `undefined`, a damaged one an error naming it. */
async function readStageJson(file: string, check: (v: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown> | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    value = undefined
  }
  if (!isRecord(value) || value.version !== 1 || !check(value)) {
    throw new EltError(`The stage's ${what} ${file} is damaged (not the JSON an extract writes).`, {
      hint: 'Extract that day again (pnpm elt extract --date …) to rewrite it.',
    })
  }
  return value
}

/** The manifest of a table's day folder, or `undefined` when there is none. */
export async function readStageManifest(file: string): Promise<StageManifest | undefined> {
  const value = await readStageJson(
    file,
    (v) => typeof v.runId === 'string' && isRecord(v.table) && Array.isArray(v.files) && typeof v.rows === 'number' && Array.isArray(v.types),
    'manifest',
  )
  return value as StageManifest | undefined
}

/** A source's record of a day, or `undefined` when the day was never completely extracted. */
export async function readStageDayRecord(file: string): Promise<StageDayRecord | undefined> {
  const value = await readStageJson(file, (v) => typeof v.runId === 'string' && Array.isArray(v.tables) && Array.isArray(v.sequences), 'day record')
  return value as StageDayRecord | undefined
}
