import { appendFile, mkdtemp, rm } from 'node:fs/promises'
import { createReadStream } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import copyStreams from 'pg-copy-streams'
import { quoteIdent } from '@elt/core'
import type { TablePart } from '../../sources/source-reader.ts'
import { binaryCopyHeader, binaryCopyTrailer } from '../../load/binary-copy-framing.ts'
import { discardClient, type FailedEnd } from '../copy-part.ts'
import { ended, FixedRecordCursor, needMore } from './fixed-record-cursor.ts'
import type { SortedKeyOrder } from './sorted-key-order.ts'

/** Keys to delete kept in memory before they go to a temporary file. */
const memoryBytes = 16 << 20
const blockBytes = 1 << 20

/**
 * `deletes: 'compare-keys'` for a key of fixed-width columns (see `sortedKeyOrder`): the
 * source's keys (`sourceKeys`, read `ORDER BY` the key in the run's snapshot) and the raw
 * table's (read `ORDER BY` the key on `destination`, in the merge's transaction) are walked
 * side by side as they stream, like a merge join; a raw key the source does not have goes to a
 * spool (memory, then a temporary file past 16 MB), and only those are loaded and deleted. Neither
 * side's keys are stored, sorted or hashed by either server: both reads are ordered scans of the
 * primary key's index.
 *
 * When one end fails, the other is closed at once (the destination in COPY OUT takes no other
 * statement; the source's part is cancelled), as in `copyPart`; `onFailure` says which failed.
 *
 * ```sql
 * -- source:       COPY (SELECT "order_id" FROM "public"."orders" ORDER BY "order_id") TO STDOUT (FORMAT binary)
 * COPY (SELECT "order_id" FROM "raw"."orders" ORDER BY "order_id") TO STDOUT (FORMAT binary);
 * CREATE TEMP TABLE elt_gone ON COMMIT DROP AS SELECT "order_id" FROM "raw"."orders" WITH NO DATA;
 * COPY pg_temp.elt_gone ("order_id") FROM STDIN (FORMAT binary); ANALYZE pg_temp.elt_gone;
 * DELETE FROM "raw"."orders" t USING pg_temp.elt_gone g WHERE t."order_id" = g."order_id";
 * ```
 */
export async function deleteMissingKeys(options: {
  destination: pg.Client
  /** The raw table, quoted. */
  target: string
  key: readonly string[]
  order: SortedKeyOrder
  sourceKeys: TablePart
  onFailure: (end: FailedEnd) => void
  signal?: AbortSignal
  /** Bytes of keys to delete held in memory before they spill to a file (default 16 MB). */
  spoolMemoryBytes?: number
}): Promise<number> {
  const { destination, target, key, order, sourceKeys } = options
  const layout = { recordBytes: order.recordBytes, fields: key.length }
  const rawOut = destination.query(copyStreams.to(`COPY (SELECT ${order.orderBy} FROM ${target} ORDER BY ${order.orderBy}) TO STDOUT (FORMAT binary)`))
  // listeners for the streams' lifetime: after one end fails the other is closed under its stream, whose late
  // 'Connection terminated' must find a listener instead of crashing the process (the iterators report errors)
  rawOut.on('error', () => {})
  sourceKeys.stream.on('error', () => {})
  const raw = new FixedRecordCursor(rawOut[Symbol.asyncIterator](), { ...layout, label: `${target} (keys)` })
  const source = new FixedRecordCursor(sourceKeys.stream[Symbol.asyncIterator](), { ...layout, label: sourceKeys.label })
  const spool = new KeySpool(options.spoolMemoryBytes ?? memoryBytes)
  let failed: FailedEnd = 'both'
  const refill = async (cursor: FixedRecordCursor, end: FailedEnd) => {
    if (options.signal?.aborted) throw options.signal.reason
    failed = end
    await cursor.refill()
    failed = 'both'
    await spool.spill()
  }
  try {
    // r, s: offsets of the current raw and source rows in their cursors' buffers (or needMore / ended)
    let r = raw.next()
    let s = source.next()
    const previousRaw = { buffer: raw.buffer, at: -1 }
    const previousSource = { buffer: source.buffer, at: -1 }
    for (;;) {
      if (r === needMore) {
        await refill(raw, 'destination')
        r = raw.next()
        continue
      }
      if (s === needMore) {
        await refill(source, 'source')
        s = source.next()
        continue
      }
      if (r === ended) break
      const c = s === ended ? -1 : order.compare(raw.buffer, r, source.buffer, s)
      if (c <= 0) {
        if (c < 0) spool.add(raw.buffer, r, order.recordBytes)
        ascending(order, previousRaw, raw.buffer, r, target)
        r = raw.next()
      }
      if (c >= 0) {
        ascending(order, previousSource, source.buffer, s, sourceKeys.label)
        s = source.next()
      }
    }
    // the source's keys past the raw table's last one are read to the end of their COPY
    while (s !== ended) {
      if (s === needMore) await refill(source, 'source')
      s = source.next()
    }
    failed = 'destination'
    await raw.finish()
    failed = 'source'
    await source.finish()
  } catch (error) {
    options.onFailure(failed)
    if (failed !== 'destination') discardClient(destination)
    if (failed !== 'source') (sourceKeys.cancel ?? (() => sourceKeys.stream.destroy()))()
    await spool.discard()
    throw error
  }
  if (spool.rows === 0) return 0
  const columns = key.map(quoteIdent).join(', ')
  await destination.query(`CREATE TEMP TABLE elt_gone ON COMMIT DROP AS SELECT ${columns} FROM ${target} WITH NO DATA`)
  const into = destination.query(copyStreams.from(`COPY pg_temp.elt_gone (${columns}) FROM STDIN (FORMAT binary)`))
  try {
    await pipeline(Readable.from(spool.payload()), into)
  } finally {
    await spool.discard()
  }
  await destination.query('ANALYZE pg_temp.elt_gone')
  const join = key.map((k) => `t.${quoteIdent(k)} = g.${quoteIdent(k)}`).join(' AND ')
  return (await destination.query(`DELETE FROM ${target} t USING pg_temp.elt_gone g WHERE ${join}`)).rowCount ?? 0
}

/** Both key reads must come in strictly ascending order (a primary key has no duplicates): anything else is a bug, not data. */
function ascending(order: SortedKeyOrder, previous: { buffer: Buffer; at: number }, buffer: Buffer, at: number, label: string): void {
  if (previous.at >= 0 && order.compare(previous.buffer, previous.at, buffer, at) >= 0) {
    throw new Error(`${label}: keys arrived out of order or repeated; nothing was deleted. Report this with the table's definition.`)
  }
  previous.buffer = buffer
  previous.at = at
}

/** The rows to delete, packed in 1 MB blocks, past `memoryBytes` appended to a temporary file. */
class KeySpool {
  rows = 0
  private blocks: Buffer[] = []
  private block = Buffer.allocUnsafe(blockBytes)
  private used = 0
  private file: string | undefined

  constructor(private readonly memoryBytes: number) {}

  /** The `length` bytes at `at` in `buffer`. */
  add(buffer: Buffer, at: number, length: number): void {
    if (this.used + length > this.block.length) {
      this.blocks.push(this.block.subarray(0, this.used))
      this.block = Buffer.allocUnsafe(blockBytes)
      this.used = 0
    }
    buffer.copy(this.block, this.used, at, at + length)
    this.used += length
    this.rows++
  }

  /** Moves the full blocks to the file once they pass the memory bound. */
  async spill(): Promise<void> {
    if (this.blocks.length * blockBytes < this.memoryBytes) return
    this.file ??= path.join(await mkdtemp(path.join(os.tmpdir(), 'elt-keys-')), 'keys.bin')
    await appendFile(this.file, Buffer.concat(this.blocks))
    this.blocks = []
  }

  /** A binary COPY of every row added: header, rows (file, then memory), trailer. */
  async *payload(): AsyncGenerator<Buffer> {
    yield binaryCopyHeader
    if (this.file) yield* createReadStream(this.file) as AsyncIterable<Buffer>
    yield* this.blocks
    yield this.block.subarray(0, this.used)
    yield binaryCopyTrailer
  }

  async discard(): Promise<void> {
    if (this.file) await rm(path.dirname(this.file), { recursive: true, force: true })
    this.file = undefined
  }
}
