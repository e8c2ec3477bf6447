import { createReadStream } from 'node:fs'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { glob } from 'tinyglobby'
import { EltError, ExitCode } from '@elt/core'
import { bsonDocuments } from './bson-documents.ts'
import type { DocumentReader, SourceDocument } from './document-reader.ts'
import { jsonValues } from './json-values.ts'
import { parseExtendedJson } from './parse-extended-json.ts'

export interface MongodbExportConfig {
  kind: 'mongodb-export'
  /** A file or a glob: `mongoexport` JSON (Lines or `--jsonArray`, relaxed or canonical Extended JSON) or `mongodump` `.bson`; `.gz` is gunzipped. */
  path: string
}

/**
 * Reads `mongoexport` / `mongodump` files, in name order, one document at a time: `.bson` files
 * as length-prefixed BSON, anything else as Extended JSON (`$oid`, `$date`, `$numberDecimal`,
 * `$numberLong`, `$numberInt`, `$numberDouble`, relaxed or canonical) parsed by
 * `parseExtendedJson` (native `JSON.parse`, the same values as bson's `EJSON.parse`; decimals stay exact).
 *
 * ```ts
 * mongodbExportReader.read({ kind: 'mongodb-export', path: 'source_db_init/ccb_contratos.jsonl' }, { baseDir })
 * ```
 */
export const mongodbExportReader: DocumentReader<MongodbExportConfig> = {
  kind: 'mongodb-export',
  describe: (config) => config.path,
  async *read(config, options) {
    const pattern = path.resolve(options.baseDir ?? process.cwd(), config.path)
    const files = (await glob(pattern.split(path.sep).join('/'), { absolute: true, onlyFiles: true })).sort()
    if (files.length === 0) {
      throw new EltError(`No file matches the documents source path ${config.path} (looked for ${pattern}).`, {
        hint: 'Check the path (relative to the config file) or the glob, or export the collection first (mongoexport / mongodump).',
        exitCode: ExitCode.failure,
      })
    }
    for (const file of files) {
      options.signal?.throwIfAborted()
      yield* readFile(file)
    }
  },
}

async function* readFile(file: string): AsyncGenerator<SourceDocument> {
  const label = path.basename(file)
  const gzip = file.endsWith('.gz')
  const raw = createReadStream(file)
  const stream: Readable = gzip ? raw.pipe(createGunzip()) : raw
  if (gzip) raw.once('error', (error) => stream.destroy(error))
  try {
    if (file.replace(/\.gz$/, '').endsWith('.bson')) {
      yield* bsonDocuments(stream as AsyncIterable<Buffer>, label)
      return
    }
    stream.setEncoding('utf8')
    for await (const { text, line } of jsonValues(stream as AsyncIterable<string>, label)) {
      let document: unknown
      try {
        document = parseExtendedJson(text)
      } catch (error) {
        throw new Error(`${label}:${line}: not Extended JSON: ${error instanceof Error ? error.message : String(error)}`)
      }
      yield document as SourceDocument
    }
  } catch (error) {
    throw new EltError(`Could not read the documents of ${file}: ${error instanceof Error ? error.message : String(error)}`, {
      hint: 'Re-export the collection (mongoexport writes JSON Lines or, with --jsonArray, one array; mongodump writes .bson), or fix the file at the place named.',
      exitCode: ExitCode.failure,
      cause: error,
    })
  } finally {
    stream.destroy()
    raw.destroy()
  }
}
