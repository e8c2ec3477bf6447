import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import pg from 'pg'
import { describeError } from '@elt/core'
import { createTestRole, type TestRole } from '@elt/core/testing'
import { createPair, replicatePair, type Pair } from './helpers.ts'

let pair: Pair
let reader: TestRole
let owner: TestRole
beforeAll(async () => {
  pair = await createPair(inject('pgAdminUrl'), 'swap_keep')
  reader = await createTestRole(inject('pgAdminUrl'), 'bi_reader')
  owner = await createTestRole(inject('pgAdminUrl'), 'raw_owner')
  await pair.source.query(`
    create table users (id int primary key, name text, email text);
    insert into users values (1, 'Ann', 'ann@example.com'), (2, 'Bob', 'bob@example.com'), (3, 'Cy', null);
    create table films (film_id int primary key, title text, rating text);
    insert into films values (1, 'Alpha', 'PG'), (2, 'Beta', 'R');`)
})
afterAll(async () => {
  await pair.drop()
  await Promise.all([reader.drop(), owner.drop()])
})

/** Owner, grants, options and comments of every table and view of `raw` and `analytics`, by name. */
const attributesOf = () =>
  pair.destination.query(`
    select n.nspname, c.relname, c.relkind, c.relowner::regrole::text as owner, c.relacl::text as acl, c.reloptions,
           obj_description(c.oid, 'pg_class') as comment,
           (select array_agg(a.attname || ' ' || coalesce(a.attacl::text, '-') || ' ' || coalesce(col_description(c.oid, a.attnum), '-') order by a.attnum)
              from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns,
           (select array_agg(pg_get_indexdef(i.indexrelid) order by 1) from pg_index i where i.indrelid = c.oid and c.relkind = 'm') as view_indexes,
           c.relrowsecurity, (select array_agg(p.polname || ' ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '-')) from pg_policy p where p.polrelid = c.oid) as policies
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname in ('raw', 'analytics') and c.relkind in ('r', 'p', 'v', 'm') order by 1, 2`)

describe('swap keeps what people set on the previous copy', () => {
  it('carries grants, column grants, comments, row-level security and owners of raw tables and of the views on them; a reader role keeps reading', async () => {
    await replicatePair(pair)
    const r = `"${reader.name}"`
    const o = `"${owner.name}"`
    await pair.destination.query(`
      grant usage on schema raw to ${r};
      alter table raw.users owner to ${o};
      grant select on raw.users to ${r};
      grant select (film_id, title) on raw.films to ${r};
      comment on table raw.users is 'People who signed up';
      comment on column raw.users.email is 'PII: do not export';
      alter table raw.users enable row level security;
      create policy no_bob on raw.users for select to ${r} using (name <> 'Bob');
      create schema analytics; grant usage on schema analytics to ${r};
      create view analytics.user_names with (security_barrier = true) as select id, name from raw.users;
      alter view analytics.user_names owner to ${o};
      grant select on analytics.user_names to ${r};
      comment on view analytics.user_names is 'Names only';
      comment on column analytics.user_names.name is 'Display name';
      create materialized view analytics.user_count as select count(*)::int as n from raw.users;
      create unique index user_count_n on analytics.user_count (n);
      grant select on analytics.user_count to ${r};`)
    const before = await attributesOf()
    const oldOid = await pair.destination.query(`select 'raw.users'::regclass::oid::int as oid`)

    const client = new pg.Client({ connectionString: reader.urlFor(pair.destination.url) })
    await client.connect()
    try {
      const read = async () => ({
        users: (await client.query('select count(*)::int as n from raw.users')).rows[0]?.n,
        names: (await client.query('select string_agg(name, \',\' order by id) as s from analytics.user_names')).rows[0]?.s,
        count: (await client.query('select n from analytics.user_count')).rows[0]?.n,
        titles: (await client.query('select string_agg(title, \',\' order by film_id) as s from raw.films')).rows[0]?.s,
      })
      expect(await read()).toEqual({ users: 2, names: 'Ann,Bob,Cy', count: 3, titles: 'Alpha,Beta' }) // the policy hides Bob from raw.users

      await pair.source.query(`insert into users values (4, 'Dee', 'dee@example.com'); insert into films values (3, 'Gamma', 'G')`)
      const { summary } = await replicatePair(pair)
      expect(summary.tables.map((t) => [t.target, t.rows])).toEqual(expect.arrayContaining([['raw.users', 4], ['raw.films', 3]]))

      // the same session, as the reader role, reads the new copies through the same grants
      expect(await read()).toEqual({ users: 3, names: 'Ann,Bob,Cy,Dee', count: 4, titles: 'Alpha,Beta,Gamma' }) // … still
      await expect(client.query('select rating from raw.films')).rejects.toThrow(/permission denied/) // column grants stay column grants
    } finally {
      await client.end()
    }
    expect(await pair.destination.query(`select 'raw.users'::regclass::oid::int as oid`)).not.toEqual(oldOid) // a new copy was swapped in
    const after = await attributesOf()
    expect(after).toEqual(before)
    const users = after.find((a) => a.relname === 'users')
    expect(users).toMatchObject({ owner: owner.name, comment: 'People who signed up' })
    expect(users?.acl).toContain(`${reader.name}=r/${owner.name}`)
    expect(after.find((a) => a.relname === 'user_names')).toMatchObject({ owner: owner.name, comment: 'Names only', reloptions: ['security_barrier=true'] })
  })

  it('fails a table whose dependent view no longer fits, naming the table, the view and what to do, and keeps the previous copy', async () => {
    await pair.destination.query(`create view analytics.film_ratings as select film_id, rating from raw.films`)
    await pair.source.query(`alter table films rename column rating to mpaa_rating; insert into films values (4, 'Delta', 'PG')`)
    const error = await replicatePair(pair).catch((e: unknown) => e)
    const text = describeError(error)
    expect(text).toContain('Could not replace "raw"."films": the view "analytics"."film_ratings" depends on it and does not fit the new version')
    expect(text).toMatch(/column films\.rating does not exist/)
    expect(text).toContain('Drop "analytics"."film_ratings" or change its definition')
    expect(text).toContain('the previous "raw"."films" and "analytics"."film_ratings" are still in place')
    expect(await pair.destination.query('select film_id, rating from analytics.film_ratings order by 1')).toEqual([
      { film_id: 1, rating: 'PG' },
      { film_id: 2, rating: 'R' },
      { film_id: 3, rating: 'G' },
    ])
    await pair.source.query(`alter table films rename column mpaa_rating to rating`)
  })
})
