// `extract()` in a process of its own, for tests that kill it:
// `node --import tsx extract-process.ts <source url> <destination url> <stage dir> <date> [stall table]`.
// Prints every extract event as one JSON line on stdout. With a stall table, that table's
// stream passes its first chunk and then never ends (the process waits to be killed).
import { randomUUID } from 'node:crypto'
import { extract } from '../../src/stage/extract-day.ts'
import { stallingReader } from './stalling-reader.ts'

const [source, destination, dir, date, stall] = process.argv.slice(2)
if (!source || !destination || !dir || !date) throw new Error('usage: extract-process.ts <source url> <destination url> <stage dir> <date> [stall table]')

const stalling = stallingReader(stall)

const summary = await extract({
  config: { sources: { postgres: { kind: 'postgres', targetSchema: 'raw' } }, stage: { dir, compression: 'gzip' }, timezone: 'UTC' },
  databases: { source: { label: 'source', url: source }, destination: { label: 'destination', url: destination } },
  sources: [{ name: 'postgres', reader: stalling, config: { kind: 'postgres' }, targetSchema: 'raw', database: { label: 'source', url: source } }],
  date,
  runId: randomUUID(),
  jobs: 2,
  connectWaitSeconds: 5,
  onEvent: (event) => process.stdout.write(JSON.stringify(event) + '\n'),
})
process.stdout.write(JSON.stringify({ type: 'summary', tables: summary.tables.length }) + '\n')
