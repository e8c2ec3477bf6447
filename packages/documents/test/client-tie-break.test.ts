import type {} from '@elt/core/testing/global-setup'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { ObjectId } from 'bson'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { cloneCcb, contracts, loadFile, rowVersions, tempDir, type TempDir } from './helpers.ts'

let db: TestDatabase
let files: TempDir
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'documents_tie_break')
  files = await tempDir()
})
afterAll(async () => {
  await files?.remove()
  await db?.drop()
})

const clientTables = ['clientes', 'identidades', 'enderecos', 'contatos'] as const

/** The client's rows of the four client tables. */
async function clientData(schema: string, cpf: string) {
  const out: Record<string, unknown[]> = {}
  for (const t of clientTables) out[t] = await db.query(`select * from "${schema}"."${t}" where cpf = $1 order by 2, 3`, [cpf])
  return out
}

describe('client named by two contracts with the same atualizado_em', () => {
  it('takes its data from the greater numero_ccb in either order and batch size, and a rerun writes nothing', async () => {
    const [base] = contracts(1, 23)
    const low = cloneCcb(base!)
    low.numero_ccb = 'CCB-2024-100001'
    low.cliente.nome = 'Nome do menor'
    low.cliente.enderecos = [{ tipo: 'residencial', logradouro: 'Rua Menor', numero: '1', bairro: 'Centro', cidade: 'Recife', uf: 'PE', cep: '50000-000' }]
    low.cliente.contatos = [{ tipo: 'email', valor: 'menor@example.com' }]
    const high = cloneCcb(base!)
    high._id = new ObjectId()
    high.numero_ccb = 'CCB-2024-100002'
    high.cliente.nome = 'Nome do maior'
    high.cliente.enderecos = [{ tipo: 'comercial', logradouro: 'Rua Maior', numero: '2', bairro: 'Boa Viagem', cidade: 'Recife', uf: 'PE', cep: '51000-000' }]
    high.cliente.contatos = [{ tipo: 'celular', valor: '81999990000' }]
    const cpf = base!.cliente.cpf.replace(/\D/g, '')
    const results: Record<string, unknown[]>[] = []
    for (const [order, docs] of [['low-high', [low, high]], ['high-low', [high, low]]] as const) {
      const file = await files.jsonl(`${order}.jsonl`, [...docs])
      for (const batchSize of [1, 10]) {
        const schema = `tie_${order.replace('-', '_')}_${batchSize}`
        await loadFile(db, file, { schema, batchSize })
        const data = await clientData(schema, cpf)
        results.push(data)
        const before = await rowVersions(db, schema)
        await loadFile(db, file, { schema, batchSize })
        expect(await rowVersions(db, schema), `${order}, batch size ${batchSize}: the rerun wrote rows`).toEqual(before)
        expect(await clientData(schema, cpf)).toEqual(data)
      }
    }
    expect(results[0]!.clientes).toMatchObject([{ cpf, nome: 'Nome do maior' }])
    expect(results[0]!.enderecos).toMatchObject([{ tipo: 'comercial', logradouro: 'Rua Maior' }])
    expect(results[0]!.contatos).toMatchObject([{ tipo: 'celular', valor: '81999990000' }])
    for (const r of results) expect(r).toEqual(results[0])
  }, 60_000)
})
