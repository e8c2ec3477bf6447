import { describe, expect, it } from 'vitest'
import { describeError } from '@elt/core'
import { buildGraph, collectProject, defineModel, parseSelectors, selectNodes, topologicalOrder } from '../src/index.ts'
import { films, project, stgFilms } from './fixtures.ts'

const graph = () => buildGraph(project())
const select = (...select: string[]) => selectNodes(graph(), { select })

describe('graph', () => {
  it('holds sources and models with an edge per dependency, in dependency order', () => {
    const g = graph()
    expect(g.order).toBe(7)
    expect(g.inNeighbors('model.film_summary').sort()).toEqual(['model.cast_size', 'model.stg_films'])
    expect(topologicalOrder(g)).toEqual([
      'source.raw.film_actors',
      'model.stg_film_actors',
      'model.cast_size',
      'source.raw.films',
      'model.stg_films',
      'model.film_summary',
      'model.top_films',
    ])
  })

  it('reports a cycle with its path', () => {
    const a = defineModel({ name: 'a', from: { films } as Record<string, any>, query: (db) => db.selectFrom('films').selectAll() })
    const b = defineModel({ name: 'b', from: { a }, query: (db) => db.selectFrom('a').selectAll() })
    const c = defineModel({ name: 'c', from: { b }, query: (db) => db.selectFrom('b').selectAll() })
    ;(a.from as Record<string, unknown>).c = c // only possible by mutation: imported values cannot form a cycle
    const error = (() => {
      try {
        buildGraph(collectProject({ a, b, c }))
      } catch (e) {
        return e
      }
    })()
    expect(describeError(error)).toContain('The models form a cycle: model.a → model.b → model.c → model.a.')
  })

  it('rejects two models with the same name', () => {
    const again = defineModel({ name: 'stg_films', from: { films }, query: (db) => db.selectFrom('films').select('title') })
    expect(() => collectProject({ stgFilms, again })).toThrow(/Two different definitions share the id model.stg_films/)
  })
})

describe('selection (dbt syntax)', () => {
  it('selects by name, with ancestors and descendants', () => {
    expect(select('film_summary')).toEqual(['model.film_summary'])
    expect(select('+film_summary')).toEqual([
      'source.raw.film_actors',
      'model.stg_film_actors',
      'model.cast_size',
      'source.raw.films',
      'model.stg_films',
      'model.film_summary',
    ])
    expect(select('stg_films+')).toEqual(['model.stg_films', 'model.film_summary', 'model.top_films'])
    expect(select('1+film_summary')).toEqual(['model.cast_size', 'model.stg_films', 'model.film_summary'])
    expect(select('stg_film_actors+1')).toEqual(['model.stg_film_actors', 'model.cast_size'])
    expect(select('2+film_summary+1')).toEqual([
      'model.stg_film_actors',
      'model.cast_size',
      'source.raw.films',
      'model.stg_films',
      'model.film_summary',
      'model.top_films',
    ])
  })

  it('@name: descendants and all their ancestors', () => {
    expect(select('@stg_film_actors')).toEqual([
      'source.raw.film_actors',
      'model.stg_film_actors',
      'model.cast_size',
      'source.raw.films',
      'model.stg_films',
      'model.film_summary',
      'model.top_films',
    ])
  })

  it('tag:, source:, wildcards, unions, intersections and exclusions', () => {
    expect(select('tag:staging')).toEqual(['model.stg_film_actors', 'model.stg_films'])
    expect(select('source:raw.films+')).toEqual(['source.raw.films', 'model.stg_films', 'model.film_summary', 'model.top_films'])
    expect(select('source:raw')).toEqual(['source.raw.film_actors', 'source.raw.films'])
    expect(select('stg_*')).toEqual(['model.stg_film_actors', 'model.stg_films'])
    expect(select('top_films tag:staging')).toEqual(['model.stg_film_actors', 'model.stg_films', 'model.top_films'])
    expect(select('top_films', 'cast_size')).toEqual(['model.cast_size', 'model.top_films'])
    expect(select('+top_films,tag:staging')).toEqual(['model.stg_film_actors', 'model.stg_films'])
    expect(selectNodes(graph(), { select: ['+top_films'], exclude: ['source:* stg_films'] })).toEqual([
      'model.stg_film_actors',
      'model.cast_size',
      'model.film_summary',
      'model.top_films',
    ])
    expect(selectNodes(graph(), { exclude: ['tag:marts'] })).toHaveLength(5)
  })

  it('reads `?` as one character, like the replicate include lists (the same globMatcher of @elt/core)', () => {
    expect(select('stg_film?')).toEqual(['model.stg_films'])
    expect(select('source:raw.film?')).toEqual(['source.raw.films'])
    expect(select('?op_films cast_siz?')).toEqual(['model.cast_size', 'model.top_films'])
    expect(() => select('stg_film??')).toThrow(/The selector "stg_film\?\?" matches no node/)
  })

  it('parses counts and rejects bad selectors with a usage error', () => {
    expect(parseSelectors(['3+tag:x+2'], ['name', 'tag'])).toEqual([
      [{ method: 'tag', value: 'x', parents: 3, children: 2, childrenParents: false, raw: '3+tag:x+2' }],
    ])
    expect(() => select('nope')).toThrow(/The selector "nope" matches no node/)
    expect(() => select('colour:red')).toThrow(/unknown method "colour"/)
    expect(() => select('@+x')).toThrow(/Invalid selector/)
  })
})
