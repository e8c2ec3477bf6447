import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { TestDatabase } from '@elt/core/testing'
import { ColumnGraph, sourceColumnsFrom, sourceLoaders, upstreamTree, type LineageTree, type Manifest } from '@elt/runner'
import { rawColumns } from '../src/generated/raw-schema.ts'
import { buildModels, fixtureDatabase } from './fixture-database.ts'

let db: TestDatabase
let manifest: Manifest
beforeAll(async () => {
  db = await fixtureDatabase(inject('pgAdminUrl'), 'models_lineage')
  const outcome = await buildModels(db, { selection: {
      select: ['+film_ratings'],
      sourceColumns: sourceColumnsFrom([rawColumns]),
      // as elt.config.ts configures it: the source database's public schema lands in raw
      sources: sourceLoaders([{ name: 'postgres', kind: 'postgres', schemas: [{ from: 'public', to: 'raw' }] }]),
    } })
  expect(outcome.status).toBe('success')
  manifest = outcome.manifest
})
afterAll(() => db.drop())

/** Every path of a column back to raw columns and their origin, as `raw.films.user_rating (derived) ⇐ postgres: public.films.user_rating` (the kind seen from the model: direct only if direct all the way). */
function rawInputs(model: string, column: string): string[] {
  const graph = ColumnGraph.fromManifest(manifest)
  const found = new Set<string>()
  const walk = (tree: LineageTree, direct: boolean) => {
    if (tree.kind === 'opaque') return void found.add(`opaque: ${tree.sql}`)
    const still = direct && (tree.kind === undefined || tree.kind === 'direct')
    if (tree.children.length === 0 && tree.node.startsWith('source.')) {
      found.add(`${tree.node.slice('source.'.length)}.${tree.column} (${still ? 'direct' : 'derived'})${tree.origin ? ` ⇐ ${tree.origin.source}: ${tree.origin.from}.${tree.origin.column}` : ''}`)
    }
    for (const child of tree.children) walk(child, still)
  }
  walk(upstreamTree(graph, { node: `model.${model}`, column }, { loaderOf: (id) => manifest.nodes[id]?.loader }), true)
  return [...found].sort()
}

describe('film_ratings column lineage, end to end', () => {
  it('the manifest lists the built columns, in the order PostgreSQL has them, each with its inputs', async () => {
    const built = await db.query<{ column_name: string }>(
      `select column_name from information_schema.columns where table_schema = 'analytics' and table_name = 'film_ratings' order by ordinal_position`,
    )
    const node = manifest.nodes['model.film_ratings']!
    expect(Object.keys(node.columns)).toEqual(built.map((r) => r.column_name))
    expect(node.columns.title!.depends_on).toEqual([{ node: 'model.stg_films', column: 'title', kind: 'direct' }])
    expect(node.columns.rating_category!.depends_on).toEqual([{ node: 'model.stg_films', column: 'user_rating', kind: 'derived', via: 'condition' }])
    expect(node.columns.actors!.depends_on).toEqual([{ node: 'model.stg_actors', column: 'actor_name', kind: 'derived' }])
    // coalesce(count(*), 0): the count reads rows, not a column
    expect(node.columns.actor_count!.depends_on).toEqual([])
    // through the ephemeral int_actor_ratings, a DAG node of its own
    expect(node.columns.avg_actor_rating!.depends_on).toEqual([{ node: 'model.int_actor_ratings', column: 'avg_user_rating', kind: 'derived' }])
    expect(manifest.nodes['model.int_actor_ratings']!.columns.avg_user_rating!.depends_on).toEqual([
      { node: 'model.stg_films', column: 'user_rating', kind: 'derived', via: 'aggregate' },
    ])
  })

  it('traces each column back to raw columns', () => {
    expect(rawInputs('film_ratings', 'title')).toEqual(['raw.films.title (direct) ⇐ postgres: public.films.title'])
    expect(rawInputs('film_ratings', 'rating_category')).toEqual(['raw.films.user_rating (derived) ⇐ postgres: public.films.user_rating'])
    expect(rawInputs('film_ratings', 'actors')).toEqual(['raw.actors.actor_name (derived) ⇐ postgres: public.actors.actor_name'])
    expect(rawInputs('film_ratings', 'avg_actor_rating')).toEqual(['raw.films.user_rating (derived) ⇐ postgres: public.films.user_rating'])
    expect(rawInputs('film_ratings', 'user_rating')).toEqual(['raw.films.user_rating (direct) ⇐ postgres: public.films.user_rating'])
  })

  it('the cast (film_actors) only joins and groups: filter dependencies of the model, not of a column', () => {
    const node = manifest.nodes['model.film_ratings']!
    expect(node.depends_on_columns).toEqual([
      { node: 'model.stg_actors', column: 'actor_id', kind: 'filter', clause: 'join' },
      { node: 'model.stg_film_actors', column: 'actor_id', kind: 'filter', clause: 'join' },
      { node: 'model.int_actor_ratings', column: 'actor_id', kind: 'filter', clause: 'join' },
      { node: 'model.stg_film_actors', column: 'film_id', kind: 'filter', clause: 'group_by' },
      { node: 'model.stg_film_actors', column: 'film_id', kind: 'filter', clause: 'join' },
      { node: 'model.stg_films', column: 'film_id', kind: 'filter', clause: 'join' },
      { node: 'model.stg_films', column: 'film_id', kind: 'filter', clause: 'order_by' },
    ])
    for (const column of Object.values(node.columns)) expect(column.depends_on?.some((d) => d.node === 'model.stg_film_actors')).toBe(false)
    expect(manifest.nodes['model.stg_film_actors']!.columns.film_id!.depends_on).toEqual([{ node: 'source.raw.film_actors', column: 'film_id', kind: 'direct' }])
  })
})
