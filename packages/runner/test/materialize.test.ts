import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { sql } from 'kysely'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { collectProject, defineModel } from '../src/index.ts'
import { clientOf, build } from './db-helpers.ts'
import { films, project, rawDdl } from './fixtures.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'materialize')
  await db.query(rawDdl)
})
afterAll(() => db.drop())

const relkind = async (name: string) =>
  (await db.query<{ relkind: string }>(`select relkind from pg_class where oid = to_regclass($1)`, [`analytics.${name}`]))[0]?.relkind

describe('materializations', () => {
  it('builds views, tables and inlines ephemeral models, with rows as expected', async () => {
    const outcome = await build(db, project())
    expect(outcome.status).toBe('success')
    expect(await relkind('stg_films')).toBe('v')
    expect(await relkind('film_summary')).toBe('r')
    expect(await relkind('cast_size')).toBeUndefined() // ephemeral: nothing in the warehouse
    expect(await db.query('select * from analytics.film_summary order by film_id')).toEqual([
      { film_id: 1, title: 'Alpha', actors: '2' },
      { film_id: 2, title: 'Beta', actors: '1' },
      { film_id: 3, title: 'Gamma', actors: '0' },
      { film_id: 4, title: 'Delta', actors: '1' },
    ])
    expect(await db.query('select film_id from analytics.top_films order by film_id')).toEqual([{ film_id: 1 }, { film_id: 4 }])
    expect(outcome.results.find((r) => r.name === 'film_summary')?.rowsAffected).toBe(4)
    expect(outcome.results.find((r) => r.name === 'stg_films')?.rowsAffected).toBeNull()
  })

  it('rebuilds a table by swapping while a concurrent reader keeps reading, and keeps dependent views working', async () => {
    await build(db, project())
    const reader = await clientOf(db)
    const counts: number[] = []
    const errors: unknown[] = []
    let reading = true
    const loop = (async () => {
      while (reading) {
        try {
          const { rows } = await reader.query<{ n: number }>('select count(*)::int as n from analytics.film_summary')
          counts.push(rows[0]!.n)
        } catch (error) {
          errors.push(error)
        }
      }
    })()
    try {
      for (let i = 0; i < 5; i++) {
        await db.query(`insert into raw.films values (${100 + i}, 'New ${i}', 4.0)`)
        const outcome = await build(db, project(), { selection: { select: ['film_summary'] } })
        expect(outcome.status).toBe('success')
      }
    } finally {
      reading = false
      await loop
      await reader.end()
    }
    expect(errors).toEqual([])
    expect(counts.length).toBeGreaterThan(5)
    expect(counts.every((n) => n >= 4 && n <= 9)).toBe(true)
    // top_films (a view on film_summary) was not rebuilt but still works and sees the new table
    expect((await db.query('select count(*)::int as n from analytics.top_films'))[0]).toEqual({ n: 7 })
    expect(await db.query(`select count(*)::int as n from pg_class where relname like 'film_summary__%'`)).toEqual([{ n: 0 }])
    await db.query('delete from raw.films where film_id >= 100')
  })

  it('replaces a view whose columns changed, recreating its dependents without CASCADE', async () => {
    const v1 = defineModel({ name: 'shape', from: { films }, query: (db) => db.selectFrom('films').select(['film_id', 'title']) })
    const child = defineModel({ name: 'shape_child', from: { v1 }, query: (db) => db.selectFrom('v1').select('film_id') })
    await build(db, collectProject({ v1, child }))
    const v2 = defineModel({ name: 'shape', from: { films }, query: (db) => db.selectFrom('films').select(['film_id', 'user_rating']) })
    const outcome = await build(db, collectProject({ v2 }))
    expect(outcome.status).toBe('success')
    const columns = await db.query(`select column_name from information_schema.columns where table_schema = 'analytics' and table_name = 'shape' order by ordinal_position`)
    expect(columns.map((c) => c.column_name)).toEqual(['film_id', 'user_rating'])
    expect((await db.query('select count(*)::int as n from analytics.shape_child'))[0]).toEqual({ n: 4 })
  })

  it('turns a table into a view and back, keeping dependents', async () => {
    const asTable = defineModel({ name: 'flip', materialized: 'table', from: { films }, query: (db) => db.selectFrom('films').select(['film_id']) })
    const dependent = defineModel({ name: 'flip_child', from: { asTable }, query: (db) => db.selectFrom('asTable').select('film_id') })
    await build(db, collectProject({ asTable, dependent }))
    const asView = defineModel({ name: 'flip', from: { films }, query: (db) => db.selectFrom('films').select(['film_id']) })
    expect((await build(db, collectProject({ asView }))).status).toBe('success')
    expect(await relkind('flip')).toBe('v')
    expect(await relkind('flip_child')).toBe('v')
    expect((await build(db, collectProject({ asTable }))).status).toBe('success')
    expect(await relkind('flip')).toBe('r')
    expect((await db.query('select count(*)::int as n from analytics.flip_child'))[0]).toEqual({ n: 4 })
  })

  it('fails, changing nothing, when a dependent view needs a column the new version drops', async () => {
    const v1 = defineModel({ name: 'keep', from: { films }, query: (db) => db.selectFrom('films').select(['film_id', 'title']) })
    const child = defineModel({ name: 'keep_child', from: { v1 }, query: (db) => db.selectFrom('v1').select('title') })
    await build(db, collectProject({ v1, child }))
    const v2 = defineModel({ name: 'keep', materialized: 'table', from: { films }, query: (db) => db.selectFrom('films').select(['film_id']) })
    const outcome = await build(db, collectProject({ v2 }))
    expect(outcome.status).toBe('error')
    expect(outcome.results[0]?.message).toMatch(/column .*title.* does not exist/)
    expect(await relkind('keep')).toBe('v') // the old view is still there
    expect(await relkind('keep__next')).toBeUndefined()
    expect((await db.query('select count(*)::int as n from analytics.keep_child'))[0]).toEqual({ n: 4 })
  })

  it('incremental: first build creates, later builds upsert only newer rows, --full-refresh rebuilds', async () => {
    const make = (suffix: string) =>
      defineModel({
        name: 'film_log',
        materialized: 'incremental',
        from: { films },
        query: (db) => db.selectFrom('films').select(['film_id', sql<string>`${sql.raw(`'${suffix}'`)} || title`.as('label')]),
        incremental: { uniqueKey: ['film_id'], newerThan: 'film_id' },
      })
    const first = await build(db, collectProject({ m: make('v1:') }))
    expect(first.results[0]).toMatchObject({ status: 'success', rowsAffected: 4 })
    await db.query(`insert into raw.films values (50, 'Epsilon', 2.0), (51, 'Zeta', null)`)
    const second = await build(db, collectProject({ m: make('v2:') }))
    expect(second.results[0]).toMatchObject({ status: 'success', rowsAffected: 2 })
    expect(await db.query('select film_id, label from analytics.film_log order by film_id')).toEqual([
      { film_id: 1, label: 'v1:Alpha' },
      { film_id: 2, label: 'v1:Beta' },
      { film_id: 3, label: 'v1:Gamma' },
      { film_id: 4, label: 'v1:Delta' },
      { film_id: 50, label: 'v2:Epsilon' },
      { film_id: 51, label: 'v2:Zeta' },
    ])
    const refreshed = await build(db, collectProject({ m: make('v3:') }), { fullRefresh: true })
    expect(refreshed.results[0]).toMatchObject({ status: 'success', rowsAffected: 6 })
    expect(await db.query(`select count(*)::int as n from analytics.film_log where label like 'v3:%'`)).toEqual([{ n: 6 }])
    // the unique key is enforced by an index that survives the swap
    await expect(db.query(`insert into analytics.film_log values (1, 'dup')`)).rejects.toThrow(/duplicate key/)
    await db.query('delete from raw.films where film_id >= 50')
  })

  it('incremental without newerThan upserts every row on its unique key', async () => {
    const m = defineModel({
      name: 'rating_upsert',
      materialized: 'incremental',
      from: { films },
      query: (db) => db.selectFrom('films').select(['film_id', 'user_rating']),
      incremental: { uniqueKey: ['film_id'] },
    })
    await build(db, collectProject({ m }))
    await db.query(`update raw.films set user_rating = 1.5 where film_id = 2`)
    const again = await build(db, collectProject({ m }))
    expect(again.results[0]).toMatchObject({ status: 'success', rowsAffected: 4 })
    expect(await db.query('select user_rating from analytics.rating_upsert where film_id = 2')).toEqual([{ user_rating: '1.5' }])
    await db.query(`update raw.films set user_rating = 3.0 where film_id = 2`)
  })
})
