import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { catalogOf, createPair, replicatePair, runSqlFile, tableRows, tablesOf, type Pair } from './helpers.ts'

let pair: Pair
beforeAll(async () => {
  pair = await createPair(inject('pgAdminUrl'), 'types')
  await runSqlFile(pair.source, new URL('./fixtures/type-coverage.sql', import.meta.url))
})
afterAll(() => pair.drop())

describe('type coverage', () => {
  it('replicates every table row for row, with the same catalog, twice', async () => {
    const first = await replicatePair(pair, { verify: true })
    expect(first.summary.status).toBe('success')
    const tables = await tablesOf(pair.source, 'public')
    expect(await tablesOf(pair.destination, 'raw')).toEqual(tables)
    expect(first.summary.tables.map((t) => t.source).sort()).toEqual(tables.map((t) => `public.${t}`).sort())

    for (const table of tables) {
      const expected = await tableRows(pair.source, 'public', table)
      expect(await tableRows(pair.destination, 'raw', table), table).toEqual(expected)
      expect(first.summary.tables.find((t) => t.source === `public.${table}`)?.rows, table).toBe(expected.length)
    }
    const sourceCatalog = await catalogOf(pair.source, 'public')
    const destinationCatalog = await catalogOf(pair.destination, 'raw')
    for (const key of Object.keys(sourceCatalog)) expect(destinationCatalog[key], key).toEqual(sourceCatalog[key])
    expect(sourceCatalog.types).toHaveLength(6)
    expect(sourceCatalog.sequences).toHaveLength(4)
    expect(sourceCatalog.partitions!.length).toBeGreaterThanOrEqual(5)
    expect(sourceCatalog.indexes!.length).toBeGreaterThanOrEqual(12)

    // the pass-through counter saw every row (binary: by walking the tuple framing)
    for (const t of first.summary.tables) {
      const last = first.events.filter((e) => e.type === 'table-progress' && e.source === t.source).at(-1)
      expect(last, t.source).toMatchObject({ rows: t.rows, bytes: t.bytes })
    }

    // binary COPY only where every column has a built-in type; text otherwise
    const formats = Object.fromEntries(first.events.flatMap((e) => (e.type === 'table-started' ? [[e.source, e.format]] : [])))
    expect(formats).toMatchObject({ 'public.scalars': 'binary', 'public.measurements': 'binary', 'public.arrays': 'text', 'public.custom': 'text' })

    // running twice gives the same result
    const second = await replicatePair(pair, { verify: true })
    expect(second.summary.tables.map((t) => [t.source, t.rows])).toEqual(first.summary.tables.map((t) => [t.source, t.rows]))
    for (const table of tables) expect(await tableRows(pair.destination, 'raw', table), table).toEqual(await tableRows(pair.source, 'public', table))
    expect(await catalogOf(pair.destination, 'raw')).toEqual(sourceCatalog)
  })
})
