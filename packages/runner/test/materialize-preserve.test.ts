import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import pg from 'pg'
import { createTestDatabase, createTestRole, type TestDatabase, type TestRole } from '@elt/core/testing'
import { collectProject, defineModel } from '../src/index.ts'
import { build } from './db-helpers.ts'
import { films, project, rawDdl } from './fixtures.ts'

let db: TestDatabase
let reader: TestRole
let owner: TestRole
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'materialize_keep')
  reader = await createTestRole(inject('pgAdminUrl'), 'bi_reader')
  owner = await createTestRole(inject('pgAdminUrl'), 'mart_owner')
  await db.query(rawDdl)
})
afterAll(async () => {
  await db.drop()
  await Promise.all([reader.drop(), owner.drop()])
})

/** Owner, grants, options and comments of the relations of `analytics`, by name. */
const attributesOf = () =>
  db.query(`select c.relname, c.relkind, c.relowner::regrole::text as owner, c.relacl::text as acl, c.reloptions, obj_description(c.oid, 'pg_class') as comment,
                   (select array_agg(a.attname || ' ' || coalesce(a.attacl::text, '-') || ' ' || coalesce(col_description(c.oid, a.attnum), '-') order by a.attnum)
                      from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns
              from pg_class c where c.relnamespace = 'analytics'::regnamespace and c.relkind in ('r', 'v', 'm') order by 1`)

describe('rebuilding a model keeps what people set on it', () => {
  it('a table model and a view on it keep owner, grants, comments and WITH options; a reader role keeps reading', async () => {
    expect((await build(db, project())).status).toBe('success')
    const r = `"${reader.name}"`
    await db.query(`
      grant usage on schema analytics to ${r};
      alter table analytics.film_summary owner to "${owner.name}";
      grant select on analytics.film_summary to ${r};
      comment on table analytics.film_summary is 'One row per film';
      comment on column analytics.film_summary.actors is 'Actors in the cast';
      create view analytics.bi_films with (security_barrier = true, check_option = local) as select film_id, title from analytics.film_summary where film_id > 0;
      grant select on analytics.bi_films to ${r};
      comment on view analytics.bi_films is 'For the BI tool';`)
    const before = await attributesOf()

    const client = new pg.Client({ connectionString: reader.urlFor(db.url) })
    await client.connect()
    try {
      const read = async () => ({
        summary: (await client.query('select count(*)::int as n from analytics.film_summary')).rows[0]?.n,
        bi: (await client.query('select count(*)::int as n from analytics.bi_films')).rows[0]?.n,
      })
      expect(await read()).toEqual({ summary: 4, bi: 4 })
      await db.query(`insert into raw.films values (60, 'Eta', 3.0)`)
      expect((await build(db, project(), { selection: { select: ['film_summary'] } })).status).toBe('success')
      expect(await read()).toEqual({ summary: 5, bi: 5 })
    } finally {
      await client.end()
      await db.query('delete from raw.films where film_id = 60')
    }
    const after = await attributesOf()
    expect(after).toEqual(before)
    expect(after.find((a) => a.relname === 'bi_films')?.reloptions).toEqual(['security_barrier=true', 'check_option=local'])
    expect(after.find((a) => a.relname === 'film_summary')).toMatchObject({ owner: owner.name, comment: 'One row per film' })
  })

  it('a view model whose columns change keeps its grants', async () => {
    const v1 = defineModel({ name: 'shared', from: { films }, query: (db) => db.selectFrom('films').select(['film_id', 'title']) })
    await build(db, collectProject({ v1 }))
    await db.query(`grant select on analytics.shared to "${reader.name}"; comment on view analytics.shared is 'Shared with BI'`)
    const v2 = defineModel({ name: 'shared', from: { films }, query: (db) => db.selectFrom('films').select(['film_id', 'user_rating']) })
    expect((await build(db, collectProject({ v2 }))).status).toBe('success')
    const [shared] = await db.query(`select relacl::text as acl, obj_description(oid, 'pg_class') as comment from pg_class where oid = 'analytics.shared'::regclass`)
    expect(shared?.acl).toContain(`${reader.name}=r/`)
    expect(shared?.comment).toBe('Shared with BI')
  })

  it('a view of a person that no longer fits the new table fails the model, naming the view and what to do', async () => {
    const wide = defineModel({ name: 'wide', materialized: 'table', from: { films }, query: (db) => db.selectFrom('films').select(['film_id', 'title']) })
    await build(db, collectProject({ wide }))
    await db.query(`create view analytics.uses_title as select title from analytics.wide`)
    const narrow = defineModel({ name: 'wide', materialized: 'table', from: { films }, query: (db) => db.selectFrom('films').select(['film_id']) })
    const outcome = await build(db, collectProject({ narrow }))
    expect(outcome.status).toBe('error')
    const message = outcome.results[0]?.message ?? ''
    expect(message).toContain('Could not replace "analytics"."wide": the view "analytics"."uses_title" depends on it and does not fit the new version')
    expect(message).toMatch(/column [a-z_.]*title does not exist/)
    expect(message).toContain('Drop "analytics"."uses_title" or change its definition')
    expect(await db.query('select count(*)::int as n from analytics.uses_title')).toEqual([{ n: 4 }])
  })
})
