import { describe, expect, it } from 'vitest'
import { combinedFailure, describeError, EltError, endsTheRun, ExitCode, exitCodeOf, isServerFailure } from '../src/index.ts'

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code })

describe('isServerFailure', () => {
  it('finds a lost or refused connection, a stall, rejected credentials or a missing database anywhere in the cause chain', () => {
    expect(isServerFailure(withCode('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'))).toBe(true)
    expect(isServerFailure(new EltError('Could not reach the source database at 127.0.0.1:1.', { cause: withCode('connect ECONNREFUSED', 'ECONNREFUSED') }))).toBe(true)
    expect(isServerFailure(new EltError('outer', { cause: new EltError('inner', { cause: withCode('terminating connection due to administrator command', '57P01') }) }))).toBe(true)
    expect(isServerFailure(Object.assign(new EltError('Nothing moved for 60 s while loading public.films'), { code: '08006' }))).toBe(true)
    expect(isServerFailure(new EltError('Could not log in', { cause: withCode('password authentication failed', '28P01') }))).toBe(true)
    expect(isServerFailure(withCode('database "x" does not exist', '3D000'))).toBe(true)
  })

  it('is false for a failure of one table: its shape, its data, a SQL error, a statement timeout', () => {
    expect(isServerFailure(new EltError('public.orders changed in a way raw.orders cannot follow by merging: column "note" was dropped.'))).toBe(false)
    expect(isServerFailure(new EltError('Row count mismatch for public.films', { cause: withCode('duplicate key value violates unique constraint', '23505') }))).toBe(false)
    expect(isServerFailure(withCode('relation "raw.films" does not exist', '42P01'))).toBe(false)
    expect(isServerFailure(withCode('canceling statement due to statement timeout', '57014'))).toBe(false)
    expect(isServerFailure('a string')).toBe(false)
    expect(isServerFailure(undefined)).toBe(false)
  })

  it('ends on a cause chain that loops', () => {
    const a = new Error('a') as Error & { cause?: unknown }
    const b = new Error('b', { cause: a })
    a.cause = b
    expect(isServerFailure(a)).toBe(false)
  })
})

describe('endsTheRun', () => {
  it('after a server failure or bad usage; not after one table\'s failure', () => {
    expect(endsTheRun(new EltError('Could not reach the destination', { cause: withCode('connect ECONNREFUSED', 'ECONNREFUSED') }))).toBe(true)
    expect(endsTheRun(new EltError('--select source:x: no such source', { exitCode: ExitCode.usage }))).toBe(true)
    expect(endsTheRun(new EltError('public.orders changed in a way raw.orders cannot follow by merging.'))).toBe(false)
  })
})

describe('combinedFailure', () => {
  const orders = new EltError('public.orders changed in a way raw.orders cannot follow by merging.', { hint: 'Copy the table again.' })
  const nopk = new EltError('The cdc table public.nopk has no primary key.', { hint: 'Add one.', exitCode: ExitCode.usage })

  it('is the one failure as it is', () => {
    expect(combinedFailure([orders], 'parts failed')).toBe(orders)
  })

  it('says every failure in a paragraph of its own (nested ones indented), with the highest exit code', () => {
    const tables = combinedFailure([orders, new Error('row count mismatch for public.films')], 'tables failed (the others were loaded)')
    const error = combinedFailure([tables, nopk], 'parts of the replication failed (the others ran)')
    expect(describeError(error)).toBe(
      '2 parts of the replication failed (the others ran):\n' +
        '  2 tables failed (the others were loaded):\n' +
        '    public.orders changed in a way raw.orders cannot follow by merging. Copy the table again.\n' +
        '    row count mismatch for public.films\n' +
        '  The cdc table public.nopk has no primary key. Add one.',
    )
    expect(exitCodeOf(error)).toBe(ExitCode.usage)
    expect(exitCodeOf(tables)).toBe(ExitCode.failure)
  })

  it('spells out ten and counts the rest', () => {
    const many = Array.from({ length: 13 }, (_, i) => new Error(`table t${i} failed`))
    const text = describeError(combinedFailure(many, 'tables failed (the others were loaded)'))
    expect(text.split('\n')).toEqual(['13 tables failed (the others were loaded):', ...many.slice(0, 10).map((e) => `  ${e.message}`), '  … and 3 more'])
  })
})
