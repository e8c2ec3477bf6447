import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { EltError, describeError, startEmbeddedServer, type EmbeddedServer } from '@elt/core'
import { createTestDatabase } from '@elt/core/testing'
import { replicatePair, restartEmbeddedServer, type Pair } from './helpers.ts'

// The destination server restarted in the middle of a run: its own server, so the restart hurts no other test.

const bigRows = 300_000

let dir: string
let server: EmbeddedServer
let pair: Pair
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'elt-restart-'))
  server = await startEmbeddedServer({ dir, ephemeral: true })
  const [source, destination] = await Promise.all([createTestDatabase(inject('pgAdminUrl'), 'restart_src'), createTestDatabase(server.urlFor('postgres'), 'restart_dst')])
  pair = { source, destination, drop: async () => void (await Promise.all([source.drop(), destination.drop()])) }
  await source.query(`
    create table big (id bigint primary key, label text);
    insert into big select g, repeat('x', 40) || g from generate_series(1, ${bigRows}) g;
    create table small (id int primary key);
    insert into small select generate_series(1, 10);`)
  await replicatePair(pair) // the previous copy
  await source.query(`insert into big select g, 'new' from generate_series(${bigRows + 1}, ${bigRows + 1000}) g`)
})
afterAll(async () => {
  await pair?.source.drop()
  await server?.stop()
  await rm(dir, { recursive: true, force: true })
})

/** Fast shutdown, then a start on the same port and data (see `restartEmbeddedServer`). */
async function restart(): Promise<void> {
  server = await restartEmbeddedServer(server, { dir, ephemeral: true })
}

describe('destination restarted mid-run', () => {
  it('ends the run with an error naming the lost destination connection, and keeps the previous copy', async () => {
    let restarting: Promise<void> | undefined
    const started = Date.now()
    const error = await replicatePair(pair, {
      jobs: 1,
      onEvent: (e) => {
        if (e.type === 'table-progress' && e.source === 'public.big') restarting ??= restart()
      },
    }).catch((e: unknown) => e)
    await restarting
    expect(Date.now() - started).toBeLessThan(30_000)
    expect(error).toBeInstanceOf(EltError)
    expect((error as EltError).exitCode).toBe(1)
    expect(describeError(error)).toMatch(/connection to the destination database .* was lost/)
    expect(Number((await pair.destination.query<{ n: string }>('select count(*) as n from raw.big'))[0]?.n)).toBe(bigRows)
    expect(await pair.destination.query(`select relname from pg_class where relname like 'elt_new_%'`)).toEqual([])

    // the next run completes
    const { summary } = await replicatePair(pair, { jobs: 1 })
    expect(summary.tables.map((t) => [t.source, t.rows])).toEqual([
      ['public.big', bigRows + 1000],
      ['public.small', 10],
    ])
  })
})
