import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { connectClient, describeError } from '@elt/core'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { contentHash } from '../src/verify/content-hash.ts'
import { verifyCounts } from '../src/verify/verify-counts.ts'
import type { TableDef } from '../src/introspect/catalog.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'verify')
  await db.query(`
    create table a (id int, v text, f float8);
    insert into a select g, 'v' || g, g / 3.0 from generate_series(1, 1000) g;
    create table b (id int, v text, f float8);
    insert into b select g, 'v' || g, g / 3.0 from generate_series(1000, 1, -1) g;`)
})
afterAll(() => db.drop())

describe('contentHash', () => {
  it('is independent of row order and changes with any value', async () => {
    const client = await connectClient({ label: 'destination', url: db.url })
    try {
      const [ha, hb] = [await contentHash(client, '"public"."a"'), await contentHash(client, '"public"."b"')]
      expect(ha).toEqual(hb)
      expect(ha.rows).toBe(1000)
      await client.query(`update b set v = 'v500 ' where id = 500`)
      expect(await contentHash(client, '"public"."b"')).not.toEqual(ha)
    } finally {
      await client.end()
    }
  })
})

describe('verifyCounts', () => {
  it('fails naming the table when the destination count differs from the snapshot count', async () => {
    const client = await connectClient({ label: 'destination', url: db.url })
    try {
      const table = { schema: 'src', name: 'a', targetSchema: 'public' } as TableDef
      await expect(verifyCounts(client, [table], new Map([['src.a', 1000]]))).resolves.toBeUndefined()
      const error = await verifyCounts(client, [table], new Map([['src.a', 999]])).catch((e: unknown) => e)
      expect(describeError(error)).toContain('public.a has 1000 rows, the source src.a had 999')
    } finally {
      await client.end()
    }
  })
})
