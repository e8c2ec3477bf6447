import type pg from 'pg'
import { qualifiedName } from '@elt/core'
import { dependentViews, relationKind } from './relation-catalog.ts'

const dropKeyword: Record<string, string> = { r: 'table', p: 'table', v: 'view', m: 'materialized view' }

/**
 * Inside the caller's transaction: drops `schema.name` (never with CASCADE), runs `create`
 * to put the new relation in place, and recreates every view that depended on the old one
 * from its saved definition. If a dependent no longer fits (it used a removed column),
 * its `create view` fails and the caller's transaction rolls everything back.
 *
 * ```sql
 * drop view "analytics"."film_stats";            -- dependents, deepest first
 * drop table "analytics"."stg_films";
 * alter table "analytics"."stg_films__next" rename to "stg_films";   -- `create`
 * create view "analytics"."film_stats" as <saved definition>;
 * ```
 */
export async function replaceRelation(client: pg.ClientBase, schema: string, name: string, create: () => Promise<void>): Promise<void> {
  const kind = await relationKind(client, schema, name)
  if (kind === undefined) return create()
  const dependents = await dependentViews(client, schema, name)
  for (const view of [...dependents].reverse()) await client.query(`drop ${dropKeyword[view.kind]} ${qualifiedName(view.schema, view.name)}`)
  await client.query(`drop ${dropKeyword[kind] ?? 'table'} ${qualifiedName(schema, name)}`)
  await create()
  for (const view of dependents) {
    await client.query(`create ${dropKeyword[view.kind]} ${qualifiedName(view.schema, view.name)} as ${view.definition}`)
  }
}

/** Runs `work` in a transaction on `client`, rolling back on any error. */
export async function inTransaction<T>(client: pg.ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query('begin')
  try {
    const result = await work()
    await client.query('commit')
    return result
  } catch (error) {
    await client.query('rollback').catch(() => {})
    throw error
  }
}
