// `extract()` in a process of its own, for tests that kill it:
// `node --import tsx extract-process.ts <source url> <destination url> <stage dir> <date> [stall table]`.
// Prints every extract event as one JSON line on stdout. With a stall table, that table's
// stream passes its first chunk and then never ends (the process waits to be killed).
import { randomUUID } from 'node:crypto'
import { Transform } from 'node:stream'
import { extract } from '../../src/stage/extract-day.ts'
import type { SourceReader } from '../../src/sources/source-reader.ts'
import { postgresReader } from '../../src/sources/postgres/postgres-reader.ts'

const [source, destination, dir, date, stall] = process.argv.slice(2)
if (!source || !destination || !dir || !date) throw new Error('usage: extract-process.ts <source url> <destination url> <stage dir> <date> [stall table]')

const stalling: SourceReader<never> = {
  kind: 'postgres',
  async open(config, context) {
    const session = await postgresReader.open(config, context)
    return {
      ...session,
      snapshotAt: session.snapshotAt,
      description: session.description,
      async worker() {
        const reader = await session.worker()
        return {
          ...reader,
          async *read(table, options) {
            for await (const part of reader.read(table, options)) {
              if (table.name !== stall) {
                yield part
                continue
              }
              let passed = false
              const gate = new Transform({
                transform(chunk: Buffer, _e, callback) {
                  if (passed) return // never calls back: the stream stalls here
                  passed = true
                  callback(null, chunk)
                  process.stdout.write(JSON.stringify({ type: 'stalled', table: table.name }) + '\n')
                },
                flush() {}, // never ends either
              })
              yield { ...part, stream: part.stream.pipe(gate) }
            }
          },
        }
      },
    }
  },
}

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
