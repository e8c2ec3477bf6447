import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import pg from 'pg'
import { EltError, describeError, replaceRelation } from '../src/index.ts'
import { createTestDatabase, createTestRole, type TestDatabase, type TestRole } from '../src/testing/index.ts'

let db: TestDatabase
let reader: TestRole
let owner: TestRole
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'replace_relation')
  reader = await createTestRole(inject('pgAdminUrl'), 'bi_reader')
  owner = await createTestRole(inject('pgAdminUrl'), 'data_owner')
})
afterAll(async () => {
  await db.drop()
  await Promise.all([reader.drop(), owner.drop()])
})

/** Runs `work` in a transaction on a fresh client, as the swaps run. */
async function inTransaction<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  try {
    await client.query('begin')
    const result = await work(client)
    await client.query('commit')
    return result
  } catch (error) {
    await client.query('rollback')
    throw error
  } finally {
    await client.end()
  }
}

/** Everything a person may have set on the relations of schema `s`, by name. */
const attributesOf = () =>
  db.query(`select c.relname, c.relkind, c.relowner::regrole::text as owner, c.relacl::text, c.reloptions, obj_description(c.oid, 'pg_class') as comment,
                   (select array_agg(a.attname || ':' || coalesce(a.attacl::text, '') || ':' || coalesce(col_description(c.oid, a.attnum), '') order by a.attnum)
                      from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns,
                   (select array_agg(pg_get_indexdef(i.indexrelid) order by i.indexrelid) from pg_index i where i.indrelid = c.oid) as indexes,
                   c.relrowsecurity, c.relforcerowsecurity,
                   (select array_agg(p.polname || ' ' || p.polcmd::text || ' ' || p.polroles::regrole[]::text || ' ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '-') order by p.polname)
                      from pg_policy p where p.polrelid = c.oid) as policies
              from pg_class c where c.relnamespace = 's'::regnamespace and c.relkind in ('r', 'p', 'v', 'm') order by c.relname`)

/** Replaces `s.t` by a new table `s.t_new` with the given rows. */
const replaceTable = (columns: string, rows: string) =>
  inTransaction(async (client) => {
    await client.query(`create table s.t_new (${columns}); insert into s.t_new values ${rows}`)
    return replaceRelation(client, { schema: 's', name: 't', install: async () => void (await client.query('alter table s.t_new rename to t')) })
  })

describe('replaceRelation', () => {
  it('keeps owner, grants (column grants, PUBLIC, grant option), comments, view options and materialized view indexes', async () => {
    const r = `"${reader.name}"`
    const o = `"${owner.name}"`
    await db.query(`
      create schema s; grant usage, create on schema s to ${r}, ${o};
      create table s.t (id int, name text, secret text); insert into s.t values (1, 'a', 'x');
      alter table s.t owner to ${o};
      grant select (id, name) on s.t to ${r}; grant select on s.t to public; grant select, insert on s.t to ${r} with grant option;
      comment on table s.t is 'It''s the table \\ with a backslash'; comment on column s.t.name is 'the name';
      alter table s.t enable row level security; create policy hide_b on s.t for select to ${r} using (name <> 'b');
      create view s.v_late as select 1 as one;                                               -- created first …
      create view s.v_mid with (security_barrier = true, check_option = local) as select id, name from s.t where id > 0;
      create or replace view s.v_late as select one, (select count(*) from s.v_mid) as n from (select 1 as one) x;  -- … then made to depend on a later view
      alter view s.v_mid owner to ${o}; grant select on s.v_mid to ${r}; comment on view s.v_mid is 'visible rows'; comment on column s.v_mid.name is 'shown';
      create materialized view s.m as select id, name from s.t with no data; create unique index m_id on s.m (id);
      grant select on s.m to ${r}; comment on materialized view s.m is 'snapshot';
      create materialized view s.m_full as select count(*) as n from s.t;`)
    const before = await attributesOf()

    const result = await replaceTable('id int, name text, secret text', `(1, 'a', 'x'), (2, 'b', 'y')`)

    expect(result).toEqual({ viewsRecreated: 4 })
    const after = await attributesOf()
    expect(after).toEqual(before)
    expect(after.find((a) => a.relname === 't')?.policies).toEqual([`hide_b r {${reader.name}} (name <> 'b'::text)`])
    expect(after.find((a) => a.relname === 'v_mid')?.reloptions).toEqual(['security_barrier=true', 'check_option=local'])
    expect(await db.query('select n from s.v_late')).toEqual([{ n: '2' }])
    expect(await db.query('select n from s.m_full')).toEqual([{ n: '2' }]) // populated on the new table
    expect(await db.query(`select relispopulated from pg_class where oid = 's.m'::regclass`)).toEqual([{ relispopulated: false }])
    // the reader role still reads what it was granted, and only that
    const client = new pg.Client({ connectionString: reader.urlFor(db.url) })
    await client.connect()
    try {
      expect((await client.query('select id, name from s.t order by id')).rows).toEqual([{ id: 1, name: 'a' }]) // the policy still hides 'b'
      expect((await client.query('select count(*)::int as n from s.v_mid')).rows).toEqual([{ n: 2 }])
    } finally {
      await client.end()
    }
  })

  it('names the relation, the view that no longer fits and what to do, and changes nothing', async () => {
    await db.query(`create view s.uses_secret as select id, secret from s.t`)
    const before = await attributesOf()
    const error = await replaceTable('id int, name text', `(3, 'c')`).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EltError)
    const text = describeError(error)
    expect(text).toContain('Could not replace "s"."t": the view "s"."uses_secret" depends on it and does not fit the new version')
    expect(text).toMatch(/column [a-z_.]*secret does not exist/)
    expect(text).toContain('Drop "s"."uses_secret" or change its definition')
    expect(await attributesOf()).toEqual(before)
    expect(await db.query('select count(*)::int as n from s.uses_secret')).toEqual([{ n: 2 }])
  })

  it('names a row-level security policy that no longer fits, and changes nothing', async () => {
    await db.query(`drop view s.uses_secret; create policy no_secret on s.t for select to public using (secret is null)`)
    const error = await replaceTable('id int, name text', `(3, 'c')`).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EltError)
    expect(describeError(error)).toMatch(/^Could not replace "s"\."t": its row-level security policy "no_secret" does not fit the new version \(column "?secret"? does not exist\)/)
    expect(await db.query(`select polname from pg_policy where polrelid = 's.t'::regclass order by 1`)).toEqual([{ polname: 'hide_b' }, { polname: 'no_secret' }])
  })

  it('keeps grants and comments of partitions on the new partitions of the same name', async () => {
    await db.query(`
      create table s.p (id int, k int) partition by range (k);
      create table s.p_low partition of s.p for values from (0) to (10); create table s.p_high partition of s.p for values from (10) to (20);
      grant select on s.p to "${reader.name}"; grant select on s.p_low to "${reader.name}";
      comment on table s.p_low is 'below 10'; comment on column s.p_high.k is 'the key'`)
    const before = await attributesOf()
    await inTransaction(async (client) => {
      await client.query(`create table s.p_new (id int, k int) partition by range (k);
        create table s.p_new_low partition of s.p_new for values from (0) to (10); create table s.p_new_high partition of s.p_new for values from (10) to (20)`)
      await replaceRelation(client, {
        schema: 's',
        name: 'p',
        install: async () => void (await client.query('alter table s.p_new rename to p; alter table s.p_new_low rename to p_low; alter table s.p_new_high rename to p_high')),
      })
    })
    const after = await attributesOf()
    expect(after).toEqual(before)
    expect(after.find((a) => a.relname === 'p_low')).toMatchObject({ comment: 'below 10', relacl: expect.stringContaining(`${reader.name}=r/`) })
  })
})
