// One `loadDocuments` in a process of its own, so its peak RSS is its own:
// `node --import tsx load-process.ts <database url> <file> <schema> [batch size]` → one JSON line on stdout.
import { loadDocuments, mongodbExportReader } from '../src/index.ts'
import { ccb_contracts } from '../../models/src/documents/ccb-contracts.ts'

const [url, file, schema, batchSize] = process.argv.slice(2) as [string, string, string, string | undefined]
const summary = await loadDocuments({
  destination: { label: 'bench', url },
  source: { name: 'ccb', reader: mongodbExportReader, config: { kind: 'mongodb-export', path: file }, mapping: ccb_contracts, targetSchema: schema },
  ...(batchSize ? { batchSize: Number(batchSize) } : {}),
  maxRejectedRatio: 1,
})
const rows = summary.tables.reduce((n, t) => n + t.inserted + t.updated + t.unchanged, 0)
process.stdout.write(JSON.stringify({ seconds: summary.seconds, documents: summary.documents, rejected: summary.rejected, rows, maxRssMb: process.resourceUsage().maxRSS / 1024, tables: summary.tables }) + '\n')
