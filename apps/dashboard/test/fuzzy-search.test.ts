import { describe, expect, it } from 'vitest'
import { fuzzyScore, searchIndex } from '../src/web/fuzzy-search.ts'

const node = (name: string, tags: string[] = [], columns: string[] = []) => ({ id: `model.${name}`, name, kind: 'model' as const, tags, columns: columns.map((c) => ({ name: c })), parents: [] })

describe('fuzzy search', () => {
  const search = searchIndex([
    node('film_ratings', ['marts'], ['film_id', 'rating_category']),
    node('stg_films', ['staging'], ['film_id', 'title']),
    node('actor_filmography', ['marts'], ['actor_id']),
    node('category_stats', [], ['category']),
  ])

  it('ranks exact names, then prefixes, then scattered letters', () => {
    expect(search('film_ratings').map((hit) => hit.node.name)[0]).toBe('film_ratings')
    expect(search('flmrat').map((hit) => hit.node.name)).toEqual(['film_ratings'])
    expect(fuzzyScore('film', 'film_ratings')).toBeGreaterThan(fuzzyScore('film', 'stg_films'))
    expect(fuzzyScore('fr', 'film_ratings')).toBeGreaterThan(0)
    expect(fuzzyScore('zz', 'film_ratings')).toBe(0)
  })

  it('finds nodes by tag and by column, saying what matched', () => {
    expect(search('staging')).toEqual([expect.objectContaining({ node: expect.objectContaining({ name: 'stg_films' }), matched: 'tag: staging' })])
    expect(search('rating_category')[0]).toMatchObject({ node: { name: 'film_ratings' }, matched: 'column: rating_category' })
    expect(search('actor_id').map((hit) => hit.node.name)).toEqual(['actor_filmography'])
    // a column hit names the column; `<node>.<column>` finds it by its node
    expect(search('rating_category')[0]).toMatchObject({ column: 'rating_category' })
    expect(search('film_ratings.rating_cat')[0]).toMatchObject({ node: { name: 'film_ratings' }, matched: 'column: rating_category', column: 'rating_category' })
  })
})
