import { readFile } from 'node:fs/promises'
import { EJSON } from 'bson'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { TestDatabase } from '@elt/core/testing'
import { numberText } from '@elt/documents'
import { collectProject, compileProjectTests, planProject, runTests, selectTests } from '@elt/runner'
import * as models from '../src/index.ts'
import { validateCcbContract } from '../src/documents/ccb-contract-rules.ts'
import { buildModels, ccbExport, fixtureDatabase } from './fixture-database.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await fixtureDatabase(inject('pgAdminUrl'), 'ccb_carteira')
  const outcome = await buildModels(db, { selection: { select: ['ccb_carteira'] } })
  expect(outcome.results.map((r) => [r.name, r.status])).toEqual([['ccb_carteira', 'success']])
})
afterAll(() => db?.drop())

type Doc = { numero_ccb: string; atualizado_em: Date; cliente: { cpf: string }; operacao: { parcelas: { valor: unknown; status: string; vencimento: Date }[] } }
const cents = (value: unknown) => Math.round(Number(numberText(value)) * 100)
const money = (c: number) => (c / 100).toFixed(2)

describe('ccb_carteira', () => {
  it('per borrower: contracts, outstanding balance and overdue parcelas, as computed here from the export itself', async () => {
    // the export read on its own: valid documents only, the newest version of each contract
    const newest = new Map<string, Doc>()
    for (const line of (await readFile(ccbExport, 'utf8')).trim().split('\n')) {
      const doc = EJSON.parse(line, { relaxed: false }) as Doc
      if (validateCcbContract(doc).length > 0) continue
      const seen = newest.get(doc.numero_ccb)
      if (!seen || doc.atualizado_em >= seen.atualizado_em) newest.set(doc.numero_ccb, doc)
    }
    const today = new Date(new Date().toISOString().slice(0, 10))
    const expected = new Map<string, { contratos: number; saldo: number; atrasadas: number; atraso: number }>()
    for (const doc of newest.values()) {
      const cpf = doc.cliente.cpf.replace(/\D/g, '')
      const e = expected.get(cpf) ?? { contratos: 0, saldo: 0, atrasadas: 0, atraso: 0 }
      e.contratos++
      for (const p of doc.operacao.parcelas) {
        if (p.status !== 'paga') e.saldo += cents(p.valor)
        if (p.status === 'atrasada' || (p.status === 'aberta' && p.vencimento < today)) (e.atrasadas++, (e.atraso += cents(p.valor)))
      }
      expected.set(cpf, e)
    }
    const rows = await db.query<{ cpf: string; contratos: string; saldo_devedor: string; parcelas_em_atraso: string; valor_em_atraso: string }>(
      `select cpf, contratos, saldo_devedor, parcelas_em_atraso, valor_em_atraso from analytics.ccb_carteira order by cpf`,
    )
    expect(rows.length).toBe(expected.size)
    expect([...expected.values()].some((e) => e.contratos > 1)).toBe(true)
    for (const row of rows) {
      const e = expected.get(row.cpf)!
      expect({ cpf: row.cpf, contratos: Number(row.contratos), saldo: row.saldo_devedor, atrasadas: Number(row.parcelas_em_atraso), atraso: row.valor_em_atraso }).toEqual({
        cpf: row.cpf, contratos: e.contratos, saldo: money(e.saldo), atrasadas: e.atrasadas, atraso: money(e.atraso),
      })
    }
  })

  it('its data tests pass, and fail on a row that breaks them', async () => {
    const plan = planProject(collectProject(models), { name: 'prod', schema: 'analytics' })
    const tests = selectTests(plan.graph, compileProjectTests(plan), { select: ['ccb_carteira'] })
    expect(tests.map((t) => t.id)).toEqual(expect.arrayContaining(['unique_ccb_carteira_cpf', 'relationships_ccb_carteira_cpf__cpf__ccb_clientes']))
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    try {
      const clean = await runTests(client, tests, { record: false })
      expect(clean.results.filter((r) => r.status !== 'pass').map((r) => [r.id, r.status, r.message])).toEqual([])
      await client.query('begin')
      await client.query(`update analytics.ccb_carteira set valor_em_atraso = saldo_devedor + 1 where cpf = (select min(cpf) from analytics.ccb_carteira)`)
      const broken = await runTests(client, tests, { record: false })
      await client.query('rollback')
      expect(broken.results.filter((r) => r.status === 'fail').map((r) => [r.id, r.failures])).toEqual([[expect.stringMatching(/^expression_ccb_carteira/), 1]])
    } finally {
      await client.end()
    }
  })
})
