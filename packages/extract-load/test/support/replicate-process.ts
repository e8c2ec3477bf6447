// `replicate` in a process of its own, for tests that kill it:
// `node --import tsx replicate-process.ts <source url> <destination url> [stall table]`.
// Prints every replication event as one JSON line on stdout. With a stall table, that table's
// stream passes its first chunk and then never ends (the process waits to be killed).
import { loadSources } from '../../src/index.ts'
import { stallingReader } from './stalling-reader.ts'

const [source, destination, stall] = process.argv.slice(2)
if (!source || !destination) throw new Error('usage: replicate-process.ts <source url> <destination url> [stall table]')
const database = { label: 'source', url: source }
const summary = await loadSources({
  sources: [{ name: 'postgres', reader: stallingReader(stall), config: { schemas: ['public'] }, targetSchema: 'raw', database }],
  destination: { label: 'destination', url: destination },
  jobs: 2,
  connectWaitSeconds: 5,
  onEvent: (event) => process.stdout.write(JSON.stringify(event) + '\n'),
})
process.stdout.write(JSON.stringify({ type: 'summary', status: summary.status }) + '\n')
