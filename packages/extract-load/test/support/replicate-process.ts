// `replicate()` in a process of its own, for tests that kill it: `node --import tsx replicate-process.ts <source url> <destination url>`.
// Prints every replication event as one JSON line on stdout.
import { replicate } from '../../src/index.ts'

const [source, destination] = process.argv.slice(2)
if (!source || !destination) throw new Error('usage: replicate-process.ts <source url> <destination url>')
const summary = await replicate({
  source: { label: 'source', url: source },
  destination: { label: 'destination', url: destination },
  jobs: 2,
  connectWaitSeconds: 5,
  onEvent: (event) => process.stdout.write(JSON.stringify(event) + '\n'),
})
process.stdout.write(JSON.stringify({ type: 'summary', status: summary.status }) + '\n')
