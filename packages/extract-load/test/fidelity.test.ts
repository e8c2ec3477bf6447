import { afterAll, describe, expect, inject, it } from 'vitest'
import { createPair, replicatePair, runSqlFile, type Pair } from './helpers.ts'
import { dumpSchema } from './schema-dump.ts'

/**
 * The replica's schema is the source's: `pg_dump --schema-only` of the source schema and of `raw`
 * give the same statements (what README.md lists as not copied removed on both sides). The source
 * schema is renamed to `raw` before its dump, so PostgreSQL itself spells every reference the way
 * the replica's dump does: no text is rewritten.
 */
async function expectSameSchema(pair: Pair): Promise<string[]> {
  const replica = await dumpSchema(pair.destination, 'raw')
  await pair.source.query('alter schema public rename to raw')
  const source = await dumpSchema(pair.source, 'raw')
  await pair.source.query('alter schema raw rename to public')
  expect({ missing: source.filter((s) => !replica.includes(s)), extra: replica.filter((s) => !source.includes(s)) }).toEqual({ missing: [], extra: [] })
  expect(replica).toEqual(source)
  return replica
}

const pairs: Pair[] = []
afterAll(() => Promise.all(pairs.map((p) => p.drop())))

/** Loads the fixture into a fresh source, replicates twice (the second run swaps every table over its previous copy), comparing after each. */
async function replicateAndCompare(fixture: string, prefix: string): Promise<Pair> {
  const pair = await createPair(inject('pgAdminUrl'), prefix)
  pairs.push(pair)
  await runSqlFile(pair.source, new URL(`./fixtures/${fixture}`, import.meta.url))
  expect((await replicatePair(pair)).summary.status).toBe('success')
  const first = await expectSameSchema(pair)
  expect(first.length).toBeGreaterThan(20)
  expect((await replicatePair(pair)).summary.status).toBe('success')
  expect(await expectSameSchema(pair)).toEqual(first)
  return pair
}

describe('schema fidelity (pg_dump --schema-only of the source and of raw)', () => {
  it('type-coverage.sql: the same statements after a first and a second replication', async () => {
    await replicateAndCompare('type-coverage.sql', 'fid_types')
  })

  it('pagila-partitions.sql: the same statements, with what is declared on partitions, unlogged tables and owned sequences', async () => {
    const pair = await replicateAndCompare('pagila-partitions.sql', 'fid_pagila')
    // spelled out, so that a fixture or dump change cannot make the comparison above vacuous
    const [counts] = await pair.destination.query<{ indexes: number; keys: number; unlogged: string[]; owned: string[] }>(
      `select (select count(*)::int from pg_index i join pg_class c on c.oid = i.indrelid
                where c.relnamespace = 'raw'::regnamespace and c.relname ~ '^payment_p2022_0[1-6]$'
                  and i.indexrelid::regclass::text ~ '^raw\.(idx_fk_)?payment_p2022_0[1-6]_(customer|staff)_id(_idx)?$') as indexes,
              (select count(*)::int from pg_constraint con join pg_class c on c.oid = con.conrelid
                where c.relnamespace = 'raw'::regnamespace and c.relname ~ '^payment_p2022_0[1-6]$' and con.contype = 'f' and con.conparentid = 0 and con.convalidated) as keys,
              (select array_agg(relname::text order by relname) from pg_class where relnamespace = 'raw'::regnamespace and relpersistence = 'u' and relkind in ('r', 'p')) as unlogged,
              (select array_agg(s.relname::text order by s.relname) from pg_depend d join pg_class s on s.oid = d.objid
                where s.relnamespace = 'raw'::regnamespace and s.relkind = 'S' and d.deptype = 'a') as owned`,
    )
    expect(counts).toEqual({
      indexes: 18,
      keys: 18,
      unlogged: ['payment_p2022_07', 'rental_import'],
      owned: ['customer_customer_id_seq', 'film_film_id_seq', 'payment_payment_id_seq', 'rental_rental_id_seq', 'staff_staff_id_seq'],
    })
  })
})
