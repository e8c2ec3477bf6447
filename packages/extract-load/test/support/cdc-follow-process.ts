// A `--follow` in a process of its own, for the kill -9 test: argv = source url, destination url, pipeline, tables (comma-separated).
import { replicateCdc } from '../../src/sources/postgres-cdc/index.ts'

const [source, destination, pipeline, tables] = process.argv.slice(2) as [string, string, string, string]
await replicateCdc({
  sourceName: pipeline,
  source: { label: 'source', url: source },
  destination: { label: 'destination', url: destination },
  tables: tables.split(','),
  targetSchema: 'raw',
  follow: true,
  heartbeatSeconds: 1,
  connectWaitSeconds: 5,
  onApplied: (p) => process.stdout.write(`applied ${p.appliedLsn} ${p.total}\n`),
})
