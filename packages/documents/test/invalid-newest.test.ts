import type {} from '@elt/core/testing/global-setup'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { cloneCcb, contracts, dump, loadFile, tempDir, type TempDir } from './helpers.ts'

let db: TestDatabase
let files: TempDir
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'documents_invalid_newest')
  files = await tempDir()
})
afterAll(async () => {
  await files?.remove()
  await db?.drop()
})

/**
 * One input holding an older valid version (v1) and a newer invalid one (v2) of a stored contract
 * (v0). Decided: the newest *valid* version wins (v1 is applied, v2 rejected), as when v1 and v2
 * arrive in two runs. The alternative ("v2 hides v1, the stored v0 stays") cannot be kept by a
 * streaming load: it would hold only when v2 comes in the same or an earlier batch than v1, so
 * the result would depend on the document order and the batch size. This pins that it does not.
 */
describe('an invalid newest version next to an older valid one in the same input', () => {
  it('the older valid version is applied whatever the order and the batch size; the invalid one is rejected', async () => {
    const [v0] = contracts(1, 21)
    const v1 = cloneCcb(v0!)
    v1.atualizado_em = new Date(v0!.atualizado_em.getTime() + 86_400_000)
    v1.dados_bancarios.agencia = '1111'
    const v2 = cloneCcb(v1)
    v2.atualizado_em = new Date(v1.atualizado_em.getTime() + 86_400_000)
    v2.dados_bancarios.agencia = '2222'
    v2.dados_bancarios.banco = '4'
    const runs = [
      { schema: 'same_batch_invalid_first', documents: [v2, v1], batchSize: 10 },
      { schema: 'same_batch_valid_first', documents: [v1, v2], batchSize: 10 },
      { schema: 'batches_invalid_first', documents: [v2, v1], batchSize: 1 },
      { schema: 'batches_valid_first', documents: [v1, v2], batchSize: 1 },
    ]
    const dumps = []
    for (const run of runs) {
      await loadFile(db, await files.jsonl(`${run.schema}-v0.jsonl`, [v0!]), { schema: run.schema })
      const summary = await loadFile(db, await files.jsonl(`${run.schema}.jsonl`, run.documents), { schema: run.schema, batchSize: run.batchSize })
      expect(summary, run.schema).toMatchObject({ documents: 2, loaded: 1, rejected: 1 })
      const [row] = await db.query(`select b.agencia, o.atualizado_em from ${run.schema}.operacoes o join ${run.schema}.dados_bancarios b using (numero_ccb)`)
      expect(row, run.schema).toEqual({ agencia: '1111', atualizado_em: v1.atualizado_em })
      const rejections = await db.query(`select reasons from _elt_audit.rejected_documents where run_id = $1`, [summary.runId])
      expect(rejections, run.schema).toEqual([{ reasons: ['dados_bancarios.banco "4" must be 3 digits'] }])
      dumps.push(await dump(db, run.schema))
    }
    for (const other of dumps.slice(1)) expect(other).toEqual(dumps[0])
  })
})
