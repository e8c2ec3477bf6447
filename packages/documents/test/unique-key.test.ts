import type {} from '@elt/core/testing/global-setup'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { EltError } from '@elt/core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { contracts, loadFile, tempDir, type TempDir } from './helpers.ts'

let db: TestDatabase
let files: TempDir
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'documents_unique_key')
  files = await tempDir()
})
afterAll(async () => {
  await files?.remove()
  await db?.drop()
})

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error)

describe('two contracts with one documento_id (a unique key of operacoes)', () => {
  it('in one batch: the batch fails with an EltError naming both numero_ccb and the ObjectId, nothing of it written', async () => {
    const docs = contracts(4, 51)
    docs[2]!._id = docs[1]!._id
    const error = await failure(loadFile(db, await files.jsonl('same-batch.jsonl', docs), { schema: 'same_batch' }))
    expect(error).toBeInstanceOf(EltError)
    const [first, second] = [docs[1]!.numero_ccb, docs[2]!.numero_ccb].sort()
    expect((error as EltError).message).toBe(
      `same_batch.operacoes: numero_ccb "${first}" and "${second}" have the same documento_id "${docs[1]!._id.toHexString()}", a unique key of the mapping: ` +
        'two documents of different numero_ccb cannot share it.',
    )
    expect((error as EltError).hint).toContain('delete its old row')
    expect(await db.query(`select count(*)::int as n from same_batch.operacoes`)).toEqual([{ n: 0 }])
    expect(await db.query(`select status from _elt.document_loads where target_schema = 'same_batch'`)).toEqual([{ status: 'error' }])
  })

  it('against a stored contract: a later load giving its ObjectId to another numero_ccb fails naming both, the stored row kept', async () => {
    const [stored, renumbered] = contracts(2, 52)
    await loadFile(db, await files.jsonl('stored.jsonl', [stored!]), { schema: 'across_runs' })
    renumbered!._id = stored!._id
    const error = await failure(loadFile(db, await files.jsonl('renumbered.jsonl', [renumbered!]), { schema: 'across_runs' }))
    expect(error).toBeInstanceOf(EltError)
    const message = (error as EltError).message
    expect(message).toContain(`"${stored!.numero_ccb}"`)
    expect(message).toContain(`"${renumbered!.numero_ccb}"`)
    expect(message).toContain(`documento_id "${stored!._id.toHexString()}"`)
    expect(await db.query(`select numero_ccb from across_runs.operacoes`)).toEqual([{ numero_ccb: stored!.numero_ccb }])
  })
})
