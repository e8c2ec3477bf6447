import { describe, expect, it } from 'vitest'
import { buildGraph, buildManifest, collectProject, compileProject, defineModel, relationships } from '../src/index.ts'
import { filmSummary, project, stgFilms } from './fixtures.ts'

const prod = { name: 'prod', schema: 'analytics' }

describe('manifest', () => {
  it('lists every node with parent and child maps, and extra (test) nodes hooked into them', () => {
    const p = project()
    const graph = buildGraph(p)
    const manifest = buildManifest(p, graph, compileProject(p, graph, prod), prod, [
      { id: 'test.unique_stg_films_film_id', kind: 'test', name: 'unique_stg_films_film_id', depends_on: ['model.stg_films'], sql: 'select 1' },
    ])
    expect(manifest.order.at(-1)).toBe('test.unique_stg_films_film_id')
    expect(manifest.nodes['test.unique_stg_films_film_id']).toMatchObject({ kind: 'test', relation: null, sql: 'select 1', depends_on: ['model.stg_films'] })
    expect(manifest.parent_map['test.unique_stg_films_film_id']).toEqual(['model.stg_films'])
    expect(manifest.child_map['model.stg_films']).toEqual(['model.film_summary', 'model.top_films', 'test.unique_stg_films_film_id'])
    expect(manifest.nodes['source.raw.films']).toMatchObject({ kind: 'source', relation: '"raw"."films"', schema: 'raw', materialized: null, sql: null })
  })

  it('serialises column tests, replacing referenced models by their ids (no recursion into their graph)', () => {
    const child = defineModel({
      name: 'child',
      from: { s: filmSummary },
      query: (db) => db.selectFrom('s').select(['film_id']),
      columns: { film_id: { description: 'FK', tests: ['not_null', relationships(stgFilms, 'film_id')] } },
    })
    const p = collectProject({ child })
    const graph = buildGraph(p)
    const manifest = buildManifest(p, graph, compileProject(p, graph, prod), prod)
    const tests = manifest.nodes['model.child']!.columns.film_id!.tests
    expect(tests[0]).toBe('not_null')
    expect(tests[1]).toMatchObject({ kind: 'relationships', to: 'model.stg_films', field: 'film_id' })
    expect(manifest.nodes['model.child']!.columns.film_id!.description).toBe('FK')
  })
})
