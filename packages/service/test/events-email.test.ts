import { createServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { TestDatabase } from '@elt/core/testing'
import { retryDelaySeconds } from '../src/index.ts'
import { serviceDatabase, serviceProject, setFlags, startTestService, until } from './service-fixture.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await serviceDatabase(inject('pgAdminUrl'), 'service_events')
})
afterAll(async () => {
  await db.drop()
})

/** A minimal SMTP server (no TLS, no auth) keeping each message's envelope and data. */
async function smtpReceiver(): Promise<{ port: number; messages: { from: string; to: string[]; data: string }[]; close(): Promise<void> }> {
  const messages: { from: string; to: string[]; data: string }[] = []
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    let buffer = ''
    let inData = false
    let current = { from: '', to: [] as string[], data: '' }
    socket.write('220 test ESMTP\r\n')
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      let index: number
      while ((index = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, index)
        buffer = buffer.slice(index + 2)
        if (inData) {
          if (line === '.') {
            inData = false
            messages.push(current)
            current = { from: '', to: [], data: '' }
            socket.write('250 queued\r\n')
          } else current.data += line + '\n'
          continue
        }
        const verb = line.slice(0, 4).toUpperCase()
        if (verb === 'EHLO' || verb === 'HELO') socket.write('250 test\r\n')
        else if (verb === 'MAIL') (current.from = line), socket.write('250 ok\r\n')
        else if (verb === 'RCPT') current.to.push(line), socket.write('250 ok\r\n')
        else if (verb === 'DATA') (inData = true), socket.write('354 go\r\n')
        else if (verb === 'QUIT') socket.end('221 bye\r\n')
        else socket.write('250 ok\r\n')
      }
    })
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    messages,
    close: () => {
      for (const socket of sockets) socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

describe('elt serve: live events and email alerts', () => {
  it('GET /api/events streams the run: queued, started, its progress lines, finished', async () => {
    await setFlags(db, { sleep: 0, divisor: 1 })
    const cwd = await serviceProject(`schedules: []`)
    const { service } = await startTestService(db, cwd)
    const controller = new AbortController()
    try {
      const response = await fetch(`${service.url}/api/events`, { signal: controller.signal })
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
      let text = ''
      const first = await reader.read()
      text += first.value ?? ''
      expect(text).toBe('event: snapshot\ndata: []\n\n')
      const run = service.enqueue({ command: 'build', select: 'quick', startedBy: 'api' })
      await until('the finished event', async () => {
        const { value, done } = await reader.read()
        text += value ?? ''
        return done || text.includes('event: finished')
      })
      const events = text
        .trim()
        .split('\n\n')
        .map((block) => ({ type: /^event: (\w+)/.exec(block)![1]!, data: JSON.parse(/\ndata: (.*)$/.exec(block)![1]!) as Record<string, unknown> }))
      expect(events.map((e) => e.type).filter((t) => t !== 'progress')).toEqual(['snapshot', 'queued', 'started', 'finished'])
      expect(events[1]!.data).toMatchObject({ runId: run.runId, status: 'queued', command: 'build' })
      expect(events.at(-1)!.data).toMatchObject({ runId: run.runId, status: 'success', state: 'finished' })
      const progress = events.filter((e) => e.type === 'progress')
      expect(progress.length).toBeGreaterThan(0)
      expect(progress.every((e) => e.data.runId === run.runId && typeof e.data.line === 'string')).toBe(true)
      expect(progress.map((e) => e.data.line).join('\n')).toContain('quick')
    } finally {
      controller.abort()
      await service.stop()
    }
  })

  it('an email alert goes through SMTP with the failure in its subject', async () => {
    await setFlags(db, { sleep: 0, divisor: 0 })
    const smtp = await smtpReceiver()
    const cwd = await serviceProject(
      `alerts: [{ on: ['failure'], email: { to: 'data@example.com', from: 'elt@example.com', smtp: { host: '127.0.0.1', port: ${smtp.port}, secure: false } } }]`,
    )
    const { service, logs } = await startTestService(db, cwd, { token: 't' })
    try {
      const run = service.enqueue({ command: 'build', select: 'flaky', startedBy: 'api' })
      await service.queue.finished(run.runId)
      await until('the email', async () => smtp.messages.length === 1 || logs.some((l) => l.includes('Could not send')))
      expect(logs.filter((l) => l.includes('Could not send'))).toEqual([])
      const [message] = smtp.messages
      expect(message!.from).toBe('MAIL FROM:<elt@example.com>')
      expect(message!.to).toEqual(['RCPT TO:<data@example.com>'])
      const unfolded = message!.data.replace(/\n[ \t]+/g, ' ') // long headers are folded
      expect(unfolded).toMatch(new RegExp(`^Subject: elt: build \\(api\\) failed \\(run ${run.runId}, attempt 1\\)`, 'm'))
      expect(message!.data).toContain('division by zero')
    } finally {
      await service.stop()
      await smtp.close()
    }
  })

  it('retry delays: fixed, or doubling with jitter between half and one and a half', () => {
    const schedule = { retryDelaySeconds: 10, retryBackoff: 'exponential' as const }
    expect([1, 2, 3].map((n) => retryDelaySeconds(schedule, n, () => 0.5))).toEqual([10, 20, 40])
    expect(retryDelaySeconds(schedule, 3, () => 0)).toBe(20)
    expect(retryDelaySeconds(schedule, 3, () => 0.999)).toBeCloseTo(59.96)
    expect(retryDelaySeconds({ retryDelaySeconds: 10, retryBackoff: 'fixed' }, 3)).toBe(10)
  })
})
