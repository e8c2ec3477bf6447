import { describe, expect, it } from 'vitest'
import { stallReason, watchedEnds, type WatchedEnd } from '../src/index.ts'

// The watch itself runs against real servers in extract-load's stall.test.ts (stalled proxies) and the runner's executor test.

describe('stallReason', () => {
  const target = { label: 'x', url: 'postgres://localhost/x' }
  const ends: WatchedEnd[] = [
    { side: 'source', backend: { target, pid: 11, bytesReceived: () => 0 } },
    { side: 'destination', backend: { target, pid: 22, bytesReceived: () => 0 } },
  ]
  const session = (state: string, waitEventType: string | null, waitEvent: string | null, stateSeconds = 0) => ({ kind: 'session' as const, state, waitEventType, waitEvent, stateSeconds })
  const sending = session('active', 'Client', 'ClientWrite')
  const at = { quiet: 61, seconds: 60, partial: false }

  it('is a stall when every session waits on this process, not while one is at work or has waited less than the stall time', () => {
    expect(stallReason(ends, [sending, session('active', 'Client', 'ClientRead')], at)).toBe(
      "the source's session (pid 11) is waiting to send to this process (ClientWrite); the destination's session (pid 22) is waiting for data from this process (ClientRead)",
    )
    expect(stallReason(ends, [sending, session('idle in transaction', 'Client', 'ClientRead', 75)], at)).toMatch(/the destination's session \(pid 22\) has waited 75 s for this process's next statement$/)
    expect(stallReason(ends, [sending, session('idle in transaction', 'Client', 'ClientRead', 8)], at)).toBeUndefined() // a pause between statements
    expect(stallReason(ends, [sending, session('active', 'Lock', 'relation')], at)).toBeUndefined()
    expect(stallReason(ends, [sending, session('active', null, null)], at)).toBeUndefined()
    expect(stallReason(ends, [sending, session('active', 'IO', 'DataFileRead')], at)).toBeUndefined()
    expect(stallReason(ends, [sending, session('active', 'Client', 'ClientRead')], { ...at, quiet: 30 })).toBeUndefined()
  })

  it('is a stall when a session is gone or its server does not answer, whatever the other does', () => {
    expect(stallReason(ends, [{ kind: 'gone' }, session('active', 'Lock', 'relation')], at)).toBe("the source's session (pid 11) has ended, and its connection never said so")
    expect(stallReason(ends, [session('active', null, null), { kind: 'unreachable', error: new Error('no answer within 10 s') }], at)).toBe(
      'the destination did not answer a new connection (no answer within 10 s)',
    )
  })

  it('with a file source (only the destination watched), only a lost session counts', () => {
    const destination = ends.slice(1)
    expect(stallReason(destination, [session('active', 'Client', 'ClientRead')], { ...at, partial: true })).toBeUndefined()
    expect(stallReason(destination, [{ kind: 'gone' }], { ...at, partial: true })).toBe("the destination's session (pid 22) has ended, and its connection never said so")
  })

  it('watchedEnds keeps the sessions that are there, each on its side', () => {
    const [source, destination] = ends.map((e) => e.backend)
    expect(watchedEnds({ source: [undefined, source], destination: [destination] })).toEqual(ends)
    expect(watchedEnds({ destination: [undefined] })).toEqual([])
  })
})
