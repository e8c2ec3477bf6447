import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { TestDatabase } from '@elt/core/testing'
import { buildModels, fixtureDatabase } from './fixture-database.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await fixtureDatabase(inject('pgAdminUrl'), 'models_project')
})
afterAll(() => db.drop())

describe('the project', () => {
  it('builds every model, in dependency order, with the expected materializations', async () => {
    const outcome = await buildModels(db)
    expect(outcome.status).toBe('success')
    expect(outcome.results.map((r) => [r.name, r.materialized, r.status])).toEqual([
      ['ccb_carteira', 'table', 'success'],
      ['stg_actors', 'view', 'success'],
      ['stg_film_actors', 'view', 'success'],
      ['stg_film_category', 'view', 'success'],
      ['stg_films', 'view', 'success'],
      ['actor_filmography', 'table', 'success'],
      ['int_actor_ratings', 'ephemeral', 'success'],
      ['film_ratings', 'table', 'success'],
      ['category_stats', 'view', 'success'],
      ['stg_ticket_sales', 'view', 'success'],
      ['film_sales', 'table', 'success'],
      ['stg_users', 'view', 'success'],
      ['user_directory', 'incremental', 'success'],
    ])
    const relations = await db.query(
      `select relname, relkind from pg_class where relnamespace = 'analytics'::regnamespace and relkind in ('r', 'v') order by relname`,
    )
    expect(relations.map((r) => `${r.relname}:${r.relkind}`)).toEqual([
      'actor_filmography:r',
      'category_stats:v',
      'ccb_carteira:r',
      'film_ratings:r',
      'film_sales:r',
      'stg_actors:v',
      'stg_film_actors:v',
      'stg_film_category:v',
      'stg_films:v',
      'stg_ticket_sales:v',
      'stg_users:v',
      'user_directory:r',
    ])
    expect(outcome.results.find((r) => r.name === 'film_ratings')?.rowsAffected).toBe(118)
    // the manifest shows the fan-in and the depth
    expect(outcome.manifest.parent_map['model.film_ratings']).toEqual(['model.int_actor_ratings', 'model.stg_actors', 'model.stg_film_actors', 'model.stg_films'])
    expect(outcome.manifest.parent_map['model.category_stats']).toEqual(['model.film_ratings', 'model.stg_film_category'])
    expect(outcome.manifest.parent_map['model.film_sales']).toEqual(['model.film_ratings', 'model.stg_ticket_sales'])
    expect(outcome.manifest.parent_map['model.stg_ticket_sales']).toEqual(['source.raw.ticket_sales'])
  })

  it('actor_filmography: one row per actor, actors without films included', async () => {
    expect(await db.query(`select count(*)::int as n from analytics.actor_filmography`)).toEqual([{ n: 72 }])
    expect(await db.query(`select actor_id, film_count, avg_user_rating from analytics.actor_filmography where actor_id in (7, 66, 67) order by actor_id`)).toEqual([
      { actor_id: 7, film_count: '3', avg_user_rating: '4.27' }, // films 3, 4, 20: (4.6 + 4.3 + 3.9) / 3
      { actor_id: 66, film_count: '0', avg_user_rating: null },
      { actor_id: 67, film_count: '0', avg_user_rating: null },
    ])
  })

  it('category_stats: counts per category agree with the raw data', async () => {
    const expected = await db.query(`select category_name, count(distinct film_id)::text as film_count from raw.film_category group by 1 order by 1`)
    expect(await db.query(`select category_name, film_count from analytics.category_stats order by 1`)).toEqual(expected)
  })

  it('user_directory: incremental build appends new users only; --full-refresh rebuilds', async () => {
    expect(await db.query(`select count(*)::int as n from analytics.user_directory`)).toEqual([{ n: 42 }])
    expect(await db.query(`select full_name, email_domain, birth_year from analytics.user_directory where user_id in (3, 17, 19) order by user_id`)).toEqual([
      { full_name: 'José Fernández', email_domain: 'example.es', birth_year: 1978 },
      { full_name: 'Olivia Jones', email_domain: null, birth_year: 1986 },
      { full_name: 'Amelia Wilson', email_domain: 'example.com', birth_year: null },
    ])
    await db.query(`insert into raw.users (id, first_name, last_name, email) values (43, 'New', 'User', 'new@Example.NET')`)
    await db.query(`update raw.users set last_name = 'Changed' where id = 1`)
    const incremental = await buildModels(db, { selection: { select: ['user_directory'] } })
    expect(incremental.results).toMatchObject([{ name: 'user_directory', status: 'success', rowsAffected: 1 }])
    expect(await db.query(`select user_id, full_name, email_domain from analytics.user_directory where user_id in (1, 43) order by user_id`)).toEqual([
      { user_id: 1, full_name: 'James Anderson', email_domain: 'example.com' }, // older row untouched
      { user_id: 43, full_name: 'New User', email_domain: 'example.net' },
    ])
    const refreshed = await buildModels(db, { selection: { select: ['user_directory'] }, fullRefresh: true })
    expect(refreshed.results[0]?.rowsAffected).toBe(43)
    expect(await db.query(`select full_name from analytics.user_directory where user_id = 1`)).toEqual([{ full_name: 'James Changed' }])
  })

  it('a dev target builds the same models into its own schema and leaves prod alone', async () => {
    const before = await db.query(`select count(*)::int as n from analytics.film_ratings`)
    const outcome = await buildModels(db, { schema: 'analytics_dev_alice', selection: { select: ['+film_ratings'] } })
    expect(outcome.status).toBe('success')
    expect(await db.query(`select count(*)::int as n from analytics_dev_alice.film_ratings`)).toEqual(before)
    expect(await db.query(`select count(*)::int as n from pg_class where relnamespace = 'analytics_dev_alice'::regnamespace and relkind in ('r', 'v')`)).toEqual([{ n: 4 }]) // 3 staging views + film_ratings; int_actor_ratings is inlined
  })
})
