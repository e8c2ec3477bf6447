import { describe, expect, it } from 'vitest'
import { EltError, partialResultOf, withPartialResult } from '../src/index.ts'

describe('withPartialResult', () => {
  it('keeps what an operation did with its error, which is returned and thrown unchanged', () => {
    const error = new EltError('public.orders failed')
    expect(partialResultOf(error)).toBeUndefined()
    expect(withPartialResult(error, { tables: ['raw.small'] })).toBe(error)
    expect(partialResultOf(error)).toEqual({ tables: ['raw.small'] })
    expect(partialResultOf(new EltError('another'))).toBeUndefined()
  })

  it('keeps nothing with a thrown value that is not an object', () => {
    expect(withPartialResult('failed', { tables: [] })).toBe('failed')
    expect(partialResultOf('failed')).toBeUndefined()
    expect(partialResultOf(undefined)).toBeUndefined()
  })
})
