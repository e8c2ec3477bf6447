// `loadDocuments()` in a process of its own, for the test that kills it:
// `node --import tsx load-process.ts <database url> <file> <schema> <batch size>`.
import { loadDocuments, mongodbExportReader } from '../../src/index.ts'
import { ccb_contracts } from '../../../models/src/documents/ccb-contracts.ts'

const [url, file, schema, batchSize] = process.argv.slice(2) as [string, string, string, string]
await loadDocuments({
  destination: { label: 'destination', url },
  source: { name: 'ccb', reader: mongodbExportReader, config: { kind: 'mongodb-export', path: file }, mapping: ccb_contracts, targetSchema: schema },
  batchSize: Number(batchSize),
  maxRejectedRatio: 1,
  onBatch: ({ batches }) => process.stdout.write(`batch ${batches}\n`),
})
process.stdout.write('done\n')
