import type {} from '@elt/core/testing/global-setup'
import { createTestDatabase, stallingProxy, type StallingProxy, type TestDatabase } from '@elt/core/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { contracts, dump, loadFile, orphans, tempDir, type TempDir } from './helpers.ts'

let db: TestDatabase
let files: TempDir
let proxy: StallingProxy
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'documents_stall')
  files = await tempDir()
  proxy = await stallingProxy(db.url)
})
afterAll(async () => {
  proxy?.destroy()
  await files?.remove()
  await db?.drop()
})

describe('a document load whose destination connection goes silent between two batches', () => {
  it('fails naming the stall instead of waiting for ever, keeps the batches committed before, and the rerun completes it', async () => {
    const file = await files.jsonl('stall.jsonl', contracts(60, 43))
    await loadFile(db, file, { schema: 'reference' })
    const reference = await dump(db, 'reference')

    const started = performance.now()
    const load = loadFile({ ...db, url: proxy.url(db.url) }, file, {
      schema: 'ccb',
      batchSize: 5,
      stallSeconds: 2,
      onBatch: ({ batches }) => {
        if (batches === 2) proxy.cut() // the next batch's statements never reach the server
      },
    })
    const error = await load.then(
      () => undefined,
      (e: unknown) => e as Error,
    )
    expect(error?.message).toMatch(/^Nothing moved for \d+ s while applying batch 3 \(documents ccb\): the destination's session \(pid \d+\) has waited \d+ s for this process's next statement\.$/)
    expect(performance.now() - started).toBeLessThan(30_000)
    // its session is ended (right after the error), not left holding the schema's load lock
    const sessions = () => db.query(`select pid from pg_stat_activity where application_name = 'elt-documents'`)
    for (let i = 0; i < 100 && (await sessions()).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(await sessions()).toEqual([])
    // whole batches only: the two committed before the cut
    expect(await db.query(`select count(*)::int as n from ccb.operacoes`)).toEqual([{ n: 10 }])
    expect(await orphans(db, 'ccb')).toBe(0)

    const rerun = await loadFile(db, file, { schema: 'ccb', batchSize: 5 })
    expect(rerun).toMatchObject({ status: 'success', documents: 60, loaded: 60 })
    expect(await dump(db, 'ccb')).toEqual(reference)
  })
})
