import { describe, expect, it } from 'vitest'
import { describeError } from '@elt/core'
import { buildGraph, selectNodes } from '../src/index.ts'
import { project } from './fixtures.ts'

const select = (changed: string[] | undefined, ...selectors: string[]) => selectNodes(buildGraph(project()), { select: selectors, ...(changed ? { changedSources: new Set(changed) } : {}) })

describe('source_status:fresher', () => {
  it('selects the raw tables the latest replication changed, and with + exactly what is downstream of them', () => {
    expect(select(['raw.films'], 'source_status:fresher')).toEqual(['source.raw.films'])
    expect(select(['raw.films'], 'source_status:fresher+')).toEqual(['source.raw.films', 'model.stg_films', 'model.film_summary', 'model.top_films'])
    expect(select(['raw.film_actors'], 'source_status:fresher+')).toEqual(['source.raw.film_actors', 'model.stg_film_actors', 'model.cast_size', 'model.film_summary', 'model.top_films'])
  })

  it('selects nothing (no error) when nothing changed; an unknown status is a usage error', () => {
    expect(select([], 'source_status:fresher+')).toEqual([])
    expect(select(['raw.other'], 'source_status:fresher+')).toEqual([])
    expect(() => select([], 'source_status:stale+')).toThrow(/Invalid selector "source_status:stale": the only status is "fresher"\./)
    const error = (() => {
      try {
        select(undefined, 'source_status:fresher+')
      } catch (e) {
        return e
      }
    })()
    expect(describeError(error)).toContain('internal: a source_status: selector needs the changed tables')
  })
})
