import { describe, expect, it } from 'vitest'
import type { RunDetail, RunStep } from '../src/data/dashboard-source.ts'
import { runTimeline } from '../src/runs/run-timeline.ts'

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1) + seconds * 1000).toISOString()
const step = (name: string, start: number, end: number, extra: Partial<RunStep> = {}): RunStep => ({
  kind: 'model',
  nodeId: `model.${name}`,
  name,
  status: 'success',
  startedAt: at(start),
  finishedAt: at(end),
  seconds: end - start,
  ...extra,
})
const run = (steps: RunStep[]): RunDetail => ({ id: 'r', command: 'run', status: 'success', startedAt: at(0), counts: { loads: {}, models: {}, tests: {} }, steps })
const parents: Record<string, string[]> = { 'model.c': ['model.a', 'model.b'], 'model.d': ['model.c'], 'model.e': ['model.a'] }

describe('runTimeline', () => {
  it('follows the parent that finished last back from the last step', () => {
    const timeline = runTimeline(run([step('a', 0, 2), step('b', 0, 5), step('c', 5, 6), step('e', 2, 3), step('d', 6, 9)]), (id) => parents[id] ?? [])
    expect(timeline.criticalPath).toEqual(['b', 'c', 'd'])
    expect(timeline.steps.filter((s) => s.critical).map((s) => s.name)).toEqual(['b', 'c', 'd'])
    expect(timeline.spanMs).toBe(9000)
    expect(timeline.slowest.map((s) => s.name)).toEqual(['b', 'd', 'a', 'c', 'e'])
  })

  it('looks through nodes that have no step (ephemeral models) for the critical path', () => {
    const through: Record<string, string[]> = { 'model.x': ['model.a'], 'model.d': ['model.x', 'model.b'] }
    const timeline = runTimeline(run([step('a', 0, 4), step('b', 0, 1), step('d', 4, 5)]), (id) => through[id] ?? [])
    expect(timeline.criticalPath).toEqual(['a', 'd'])
  })

  it('packs steps without workers into the first free lane', () => {
    const timeline = runTimeline(run([step('a', 0, 2), step('b', 1, 3), step('c', 2, 4), step('d', 2.5, 3)]), () => [])
    expect(Object.fromEntries(timeline.steps.map((s) => [s.name, s.lane]))).toEqual({ a: 0, b: 1, c: 0, d: 2 })
    expect(timeline.lanes).toBe(3)
  })

  it('uses recorded workers as lanes and leaves tests out of the bars', () => {
    const timeline = runTimeline(
      run([step('a', 0, 1, { worker: 3 }), step('b', 0, 1, { worker: 1 }), step('t', 1, 2, { kind: 'test', worker: 1 })]),
      () => [],
    )
    expect(timeline.steps.map((s) => [s.name, s.lane])).toEqual([['a', 1], ['b', 0]])
  })
})
