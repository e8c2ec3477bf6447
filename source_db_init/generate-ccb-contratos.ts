/**
 * Writes `source_db_init/ccb_contratos.jsonl`, the project's sample `mongoexport` of the
 * `contratos_ccb` collection: 400 CCB contracts (valid CPFs, Price-table schedules that add up,
 * clients with several contracts, later and older versions of some contracts, one invalid
 * document of each kind, numbers as Decimal128 / double / int32 / int64, relaxed and canonical
 * Extended JSON). Deterministic: running it again writes the same bytes.
 *
 *   pnpm exec tsx source_db_init/generate-ccb-contratos.ts
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeCcbFile } from '../packages/documents/bench/write-ccb-file.ts'

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ccb_contratos.jsonl')
const { documents, invalid } = await writeCcbFile(out, { contracts: 400, invalidEvery: 23 })
console.log(`${out}: ${documents} documents (${invalid} invalid)`)
