import { Transform } from 'node:stream'
import type { SourceReader } from '../../src/sources/source-reader.ts'
import { postgresReader } from '../../src/sources/postgres/postgres-reader.ts'

/**
 * The PostgreSQL reader, except that table `stall`'s stream passes its first chunk, prints
 * `{"type":"stalled","table":…}` on stdout, and then never ends: for tests that kill a process
 * while one table is surely still loading (whatever the machine's speed).
 */
export function stallingReader(stall: string | undefined): SourceReader<never> {
  return {
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
}
