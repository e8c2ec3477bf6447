import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { EJSON } from 'bson'
import { generateCcbDocuments } from './ccb-generator.ts'

/**
 * Writes generated CCB contracts as `mongoexport` JSON Lines: relaxed Extended JSON for two lines
 * in three, canonical for the rest. Returns how many documents (and invalid ones) it wrote.
 *
 * ```ts
 * await writeCcbFile('source_db_init/ccb_contratos.jsonl', { contracts: 400, invalidEvery: 23 })
 * ```
 */
export async function writeCcbFile(file: string, options: { contracts: number; seed?: number; invalidEvery?: number }): Promise<{ documents: number; invalid: number }> {
  const out = createWriteStream(file)
  let documents = 0
  let invalid = 0
  for (const { document, relaxed, invalid: mutation } of generateCcbDocuments(options)) {
    documents++
    if (mutation) invalid++
    if (!out.write(EJSON.stringify(document, { relaxed }) + '\n')) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  return { documents, invalid }
}
