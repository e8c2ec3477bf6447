import { spawn } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type {} from '@elt/core/testing/global-setup'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { contracts, dump, loadFile, orphans, tempDir, type TempDir } from './helpers.ts'

let db: TestDatabase
let files: TempDir
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'documents_kill')
  files = await tempDir()
})
afterAll(async () => {
  await files?.remove()
  await db?.drop()
})

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'support', 'load-process.ts')

async function until<T>(what: string, probe: () => Promise<T | undefined>, seconds = 30): Promise<T> {
  const deadline = Date.now() + seconds * 1000
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('a load killed mid-batch (SIGKILL inside a batch transaction)', () => {
  it('leaves whole batches only, foreign keys intact, and the rerun completes it to the same rows as an uninterrupted load', async () => {
    const docs = contracts(60, 41)
    const file = await files.jsonl('kill.jsonl', docs)
    await loadFile(db, file, { schema: 'reference' })
    const reference = await dump(db, 'reference')

    const child = spawn(process.execPath, ['--import', 'tsx', script, db.url, file, 'killed', '5'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = once(child, 'exit')
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()))
    const blocker = new pg.Client({ connectionString: db.url })
    await blocker.connect()
    try {
      // after the first batch commits, block the last table of the next batch's transaction: the child is then inside it
      await until('the first batch', async () => ((await db.query(`select batches from _elt.document_loads where target_schema = 'killed'`))[0]?.batches >= 1 ? true : undefined))
      await blocker.query('begin')
      await blocker.query('lock table killed.detalhamento_cet in access exclusive mode')
      const waiting = await until('the child to wait inside its batch', async () => {
        const rows = await db.query(`select pid from pg_stat_activity where application_name = 'elt-documents' and wait_event_type = 'Lock' and state = 'active'`)
        return rows.length > 0 ? rows : undefined
      })
      expect(waiting).toHaveLength(1)
      child.kill('SIGKILL')
      const [code, signal] = await exited
      expect({ code, signal, stderr }).toMatchObject({ code: null, signal: 'SIGKILL' })
      await blocker.query('commit')
    } finally {
      child.kill('SIGKILL')
      await blocker.end()
    }

    const [state] = await db.query<{ run_id: string; batches: number; status: string; pid: number }>(`select run_id, batches, status, pid from _elt.document_loads where target_schema = 'killed'`)
    expect(state).toMatchObject({ status: 'running', pid: child.pid })
    // only committed batches are visible: 5 contracts each, with all their children
    const contractsSeen = (await db.query<{ n: number }>(`select count(*)::int as n from killed.operacoes`))[0]!.n
    expect(contractsSeen).toBe(state!.batches * 5)
    expect(contractsSeen).toBeLessThan(60)
    const parcelas = (await db.query<{ n: number }>(`select count(*)::int as n from killed.parcelas`))[0]!.n
    const expected = docs.slice(0, contractsSeen).reduce((n, d) => n + d.operacao.parcelas.length, 0)
    expect(parcelas).toBe(expected)
    expect(await orphans(db, 'killed')).toBe(0)

    const rerun = await loadFile(db, file, { schema: 'killed', batchSize: 5 })
    expect(rerun).toMatchObject({ status: 'success', documents: 60, loaded: 60 })
    // the killed load is recorded abandoned (its run lock went with its process), not left running
    const [killed] = await db.query<{ status: string; message: string }>(`select status, message from _elt.document_loads where run_id = $1`, [state!.run_id])
    expect(killed!.status).toBe('abandoned')
    expect(killed!.message).toContain(`pid ${child.pid} on `)
    expect(await dump(db, 'killed')).toEqual(reference)
  })
})
