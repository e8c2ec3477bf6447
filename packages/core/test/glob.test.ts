import { describe, expect, it } from 'vitest'
import { globMatcher, isGlob } from '../src/index.ts'

const matching = (pattern: string, names: string[]) => names.filter(globMatcher(pattern))

describe('globMatcher', () => {
  it('reads `?` as exactly one character and `*` as any run, the whole name matching', () => {
    const names = ['film', 'films', 'film_a', 'film_ab', 'films2', 'xfilms', 'film_é', 'film_😀', 'film_\n']
    expect(matching('film?', names)).toEqual(['films'])
    expect(matching('film_?', names)).toEqual(['film_a', 'film_é', 'film_😀', 'film_\n'])
    expect(matching('film*', names)).toEqual(['film', 'films', 'film_a', 'film_ab', 'films2', 'film_é', 'film_😀', 'film_\n'])
    expect(matching('*films*', names)).toEqual(['films', 'films2', 'xfilms'])
    expect(matching('?ilm*?', names)).toEqual(['films', 'film_a', 'film_ab', 'films2', 'film_é', 'film_😀', 'film_\n'])
  })

  it('takes every other character literally, regex-special ones included', () => {
    const names = ['a.b', 'axb', 'a+b', 'aab', 'f(x)', 'fx', 'c[1]', 'c1', 'd$', 'e^f', 'g|h', 'g', 'back\\slash', '{n}']
    for (const literal of names) expect(matching(literal, names)).toEqual([literal])
    expect(matching('a?b', names)).toEqual(['a.b', 'axb', 'a+b', 'aab'])
    expect(matching('a.*', names)).toEqual(['a.b'])
    expect(matching('a+*', names)).toEqual(['a+b'])
    expect(matching('f(*)', names)).toEqual(['f(x)'])
    expect(matching('*(?)', names)).toEqual(['f(x)'])
  })

  it('tells a pattern from a plain name', () => {
    expect([isGlob('films'), isGlob('raw.films'), isGlob('f(x)'), isGlob('film?'), isGlob('stg_*')]).toEqual([false, false, false, true, true])
  })
})
