import { BSON } from 'bson'
import type { SourceDocument } from './document-reader.ts'

/** The largest BSON document MongoDB stores (16 MiB) plus slack: a bigger length prefix means a damaged file. */
const maxDocumentBytes = 48 * 1024 * 1024

/**
 * The documents of a `mongodump` `.bson` file: a sequence of length-prefixed BSON documents
 * (int32 little-endian total length, then the bytes), each read from the byte stream and
 * decoded with `BSON.deserialize` as soon as it is complete.
 *
 * ```ts
 * for await (const doc of bsonDocuments(createReadStream('dump/app/contratos_ccb.bson'), 'contratos_ccb.bson')) …
 * ```
 */
export async function* bsonDocuments(chunks: AsyncIterable<Buffer>, label: string): AsyncGenerator<SourceDocument> {
  let pending: Buffer = Buffer.alloc(0)
  let offset = 0
  let index = 0
  for await (const chunk of chunks) {
    pending = pending.length === offset ? chunk : Buffer.concat([pending.subarray(offset), chunk])
    offset = 0
    while (pending.length - offset >= 4) {
      const size = pending.readInt32LE(offset)
      if (size < 5 || size > maxDocumentBytes) throw new Error(`${label}: document ${index + 1} at byte ${offset} has an impossible length ${size} (not a mongodump .bson file, or a damaged one)`)
      if (pending.length - offset < size) break
      yield BSON.deserialize(pending.subarray(offset, offset + size), { promoteValues: true }) as SourceDocument
      offset += size
      index++
    }
  }
  if (pending.length > offset) throw new Error(`${label}: the file ends inside document ${index + 1} (a truncated dump?)`)
}
