import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { formatBytes } from '../src/output/format.ts'
import { renderTableEvent, showTableEvent } from '../src/output/replication-summary.ts'
import { runElt } from './replicate-helpers.ts'

/** A byte count or rate as printed: whole bytes, else one decimal. */
const printed = /^(\d+ B|\d+\.\d (kB|MB|GB|TB))$/

describe('replication progress text', () => {
  it('rounds rates and sizes', () => {
    const table = { source: 'public.films', target: 'raw.films' }
    expect(renderTableEvent({ type: 'table-progress', ...table, rows: 70, bytes: 7000, seconds: 17 })).toBe('public.films → raw.films  70 rows  7.0 kB  412 B/s')
    expect(renderTableEvent({ type: 'table-finished', ...table, rows: 118, bytes: 9027, seconds: 0.3 })).toBe('public.films → raw.films  118 rows  9.0 kB  0.30 s  30.1 kB/s')
    expect(renderTableEvent({ type: 'table-progress', ...table, rows: 0, bytes: 0, seconds: 0 })).toBe('public.films → raw.films  0 rows  0 B')
    expect([411.7647058823529, 999.6, 999_960, 1e15, 2.5e18].map(formatBytes)).toEqual(['412 B', '1.0 kB', '1.0 MB', '1000.0 TB', '2500000.0 TB'])
  })

  it('puts each table event on the progress display: start, update, retry as a line that stays, done; other events ignored', () => {
    const calls: string[] = []
    const progress = {
      start: (key: string, text: string) => void calls.push(`start ${key}: ${text}`),
      update: (key: string, text: string) => void calls.push(`update ${key}: ${text}`),
      done: (key: string, text: string) => void calls.push(`done ${key}: ${text}`),
      log: (text: string) => void calls.push(`log: ${text}`),
      stop: () => void calls.push('stop'),
    }
    const table = { source: 'public.films', target: 'raw.films' }
    const events = [
      { type: 'step-started', step: 'prepare' },
      { type: 'table-started', ...table },
      { type: 'table-progress', ...table, rows: 70, bytes: 7000, seconds: 17 },
      { type: 'table-retried', ...table, attempt: 1, delaySeconds: 0.5, reason: 'connection lost' },
      { type: 'table-finished', ...table, rows: 118, bytes: 9027, seconds: 0.3 },
    ] as Parameters<typeof showTableEvent>[1][]
    for (const event of events) showTableEvent(progress, event)
    expect(calls).toEqual([
      `start public.films: ${renderTableEvent(events[1] as Parameters<typeof renderTableEvent>[0])}`,
      'update public.films: public.films → raw.films  70 rows  7.0 kB  412 B/s',
      `log: ${renderTableEvent(events[3] as Parameters<typeof renderTableEvent>[0])}`,
      'done public.films: public.films → raw.films  118 rows  9.0 kB  0.30 s  30.1 kB/s',
    ])
  })

  describe('of a real replicate', () => {
    let source: TestDatabase
    let destination: TestDatabase
    beforeAll(async () => {
      source = await createTestDatabase(inject('pgAdminUrl'), 'rate_src')
      destination = await createTestDatabase(inject('pgAdminUrl'), 'rate_dst')
      await source.query(`create table films (id int primary key, title text); insert into films select g, 'film ' || g from generate_series(1, 500) g;
                          create table tiny (id int primary key); insert into tiny values (1)`)
    })
    afterAll(async () => {
      await source?.drop()
      await destination?.drop()
    })

    it('prints every size and rate rounded', async () => {
      const { code, stderr } = await runElt(['replicate'], { SOURCE_DATABASE_URL: source.url, DESTINATION_DATABASE_URL: destination.url })
      expect(code, stderr).toBe(0)
      const lines = stderr.split('\n').filter((line) => / → raw\.\w+ {2}\d+ rows/.test(line))
      expect(lines.length).toBeGreaterThanOrEqual(2)
      for (const line of lines) {
        const [, , size, , rate] = line.split('  ')
        expect(size, line).toMatch(printed)
        expect(rate?.replace(/\/s$/, ''), line).toMatch(printed)
      }
    })
  })
})
