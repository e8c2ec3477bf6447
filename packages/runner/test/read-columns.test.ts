import type {} from '@elt/core/testing/global-setup'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type pg from 'pg'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { introspectTables, readColumns } from '../src/index.ts'
import { columnTypes, relationColumns } from '../src/materialize/relation-catalog.ts'
import { clientOf } from './db-helpers.ts'

let db: TestDatabase
let client: pg.Client
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'read_columns')
  await db.query(`
    create schema raw;
    create type raw.mood as enum ('sad', 'ok');
    create domain raw.positive as integer check (value > 0);
    create table raw."Films" (id raw.positive not null, title varchar(20), tags text[], mood raw.mood, dropped int, at timestamptz);
    alter table raw."Films" drop column dropped;
    comment on column raw."Films".title is 'the title';
    create view raw.film_titles as select title from raw."Films";
    create table raw.events (id int, day date not null) partition by range (day);
    create table raw.events_2024 partition of raw.events for values from ('2024-01-01') to ('2025-01-01');
    create schema other;
    create table other.t (x int);`)
  client = await clientOf(db)
})
afterAll(async () => {
  await client.end()
  await db.drop()
})

describe('readColumns, the one catalog column reader', () => {
  it('reads a schema (tables, views, partitioned tables; not partitions, not other schemas) and given relations, in column order', async () => {
    const schema = await readColumns(client, { schema: 'raw' })
    expect([...schema.keys()]).toEqual(['raw.Films', 'raw.events', 'raw.film_titles'])
    expect(schema.get('raw.Films')).toEqual([
      { name: 'id', type: 'raw.positive', nullable: false, description: null, baseType: 'int4', category: 'N', elementType: null, enumValues: null },
      { name: 'title', type: 'character varying(20)', nullable: true, description: 'the title', baseType: 'varchar', category: 'S', elementType: null, enumValues: null },
      { name: 'tags', type: 'text[]', nullable: true, description: null, baseType: '_text', category: 'A', elementType: 'text', enumValues: null },
      { name: 'mood', type: 'raw.mood', nullable: true, description: null, baseType: 'mood', category: 'E', elementType: null, enumValues: ['sad', 'ok'] },
      { name: 'at', type: 'timestamp with time zone', nullable: true, description: null, baseType: 'timestamptz', category: 'D', elementType: null, enumValues: null },
    ])
    const some = await readColumns(client, { relations: [{ schema: 'raw', name: 'events_2024' }, { schema: 'other', name: 't' }, { schema: 'raw', name: 'missing' }] })
    expect([...some].map(([key, list]) => [key, list.map((c) => `${c.name} ${c.type}`)])).toEqual([
      ['other.t', ['x integer']],
      ['raw.events_2024', ['id integer', 'day date']],
    ])
    expect(await readColumns(client, { relations: [] })).toEqual(new Map())
  })

  it('serves codegen, the manifest column types and the materializations the same columns', async () => {
    const schema = await readColumns(client, { schema: 'raw' })
    const tables = await introspectTables(client, 'raw')
    expect(tables.map((t) => [t.name, t.columns.map((c) => [c.name, c.type, c.nullable])])).toEqual(
      [...schema].map(([key, list]) => [key.slice('raw.'.length), list.map((c) => [c.name, c.baseType, c.nullable])]),
    )
    const relations = [{ schema: 'raw', name: 'Films' }, { schema: 'raw', name: 'film_titles' }]
    expect(await columnTypes(client, relations)).toEqual(
      new Map(relations.map((r) => [`${r.schema}.${r.name}`, schema.get(`${r.schema}.${r.name}`)!.map((c) => ({ name: c.name, type: c.type }))])),
    )
    expect(await relationColumns(client, 'raw', 'Films')).toEqual(['id', 'title', 'tags', 'mood', 'at'])
  })
})
