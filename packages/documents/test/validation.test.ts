import type {} from '@elt/core/testing/global-setup'
import { createTestDatabase, type TestDatabase } from '@elt/core/testing'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { ccbMutations } from '../bench/ccb-generator.ts'
import { contracts, loadFile, tempDir, type TempDir } from './helpers.ts'

let db: TestDatabase
let files: TempDir
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), 'documents_validation')
  files = await tempDir()
})
afterAll(async () => {
  await files?.remove()
  await db?.drop()
})

/** Each rule of the issue: the mutation breaking it and the reason (a pattern: values differ per document) it must produce. */
const expectedReasons: Record<keyof typeof ccbMutations, RegExp> = {
  numero_ccb_empty: /^numero_ccb is empty$/,
  cpf_check_digit: /^cliente\.cpf "[\d.-]+" is not a valid CPF \(11 digits, not all equal, with valid check digits\)$/,
  cpf_all_equal: /^cliente\.cpf "111\.111\.111-11" is not a valid CPF \(11 digits, not all equal, with valid check digits\)$/,
  valor_principal_zero: /^operacao\.valor_principal must be greater than 0 \(got 0\.00\)$/,
  prazo_out_of_range: /^operacao\.prazo_meses must be a whole number from 1 to 480 \(got 481\)$/,
  taxa_out_of_range: /^operacao\.taxa_juros_mensal must be at least 0 and less than 1 \(got 1\.25\)$/,
  parcela_missing: /^operacao\.parcelas must be numbered 1\.\.(\d+) once each \(prazo_meses \1; got \d+ parcelas, missing \1\)$/,
  parcela_repeated: /^operacao\.parcelas must be numbered 1\.\.(\d+) once each \(prazo_meses \1; got \1 parcelas, missing 2, more than once 1\)$/,
  parcela_valor_zero: /^parcela 1: valor must be greater than 0 \(got 0\)$/,
  paga_without_data_pagamento: /^parcela 1: status paga needs a data_pagamento$/,
  data_pagamento_not_paga: /^parcela \d+: data_pagamento is set but status is "aberta" \(only a paga parcela has one\)$/,
  uf_unknown: /^cliente\.enderecos\[0\]\.uf "XX" is not one of the 27 Brazilian UFs$/,
  cep_short: /^cliente\.enderecos\[0\]\.cep "1234-567" must have 8 digits$/,
  email_without_at: /^cliente\.contatos\[0\] email "fulano\.example\.com" is not an address \(one @ and a dot in its domain\)$/,
  banco_not_3_digits: /^dados_bancarios\.banco "34" must be 3 digits$/,
  tipo_conta_unknown: /^dados_bancarios\.tipo_conta must be corrente or poupanca \(got "investimento"\)$/,
  date_not_parsing: /^data_emissao is not a date \(got "31\/02\/2024"\)$/,
}

describe('validation', () => {
  const names = Object.keys(ccbMutations) as (keyof typeof ccbMutations)[]
  let runId: string
  let good: string
  beforeAll(async () => {
    const docs = contracts(names.length + 1, 21)
    names.forEach((name, i) => {
      docs[i]!.numero_ccb = name === 'numero_ccb_empty' ? docs[i]!.numero_ccb : `BAD-${name}`
      ccbMutations[name]!(docs[i]!)
    })
    good = docs.at(-1)!.numero_ccb
    const summary = await loadFile(db, await files.jsonl('bad.jsonl', docs), { schema: 'v' })
    expect(summary).toMatchObject({ documents: names.length + 1, loaded: 1, rejected: names.length })
    runId = summary.runId
  })

  it.each(names)('%s: the document is rejected whole with its reason in words', async (name) => {
    const key = name === 'numero_ccb_empty' ? '' : `BAD-${name}`
    const rows = await db.query<{ reasons: string[]; document_id: string | null; document: { numero_ccb: string } }>(
      `select reasons, document_id, document from _elt_audit.rejected_documents where run_id = $1 and source = 'ccb' and numero_ccb = $2`,
      [runId, key],
    )
    expect(rows).toHaveLength(1)
    expect(rows[0]!.document.numero_ccb).toBe(key)
    expect(rows[0]!.document_id).toMatch(/^[0-9a-f]{24}$/)
    expect(rows[0]!.reasons.some((reason) => expectedReasons[name]!.test(reason)), rows[0]!.reasons.join('\n')).toBe(true)
    // none of its rows: not the contract, not its children
    const written = await db.query<{ n: number }>(
      `select (select count(*) from v.operacoes where numero_ccb = $1) + (select count(*) from v.parcelas where numero_ccb = $1) + (select count(*) from v.dados_bancarios where numero_ccb = $1) as n`,
      [key],
    )
    expect(Number(written[0]!.n)).toBe(0)
  })

  it('the good document of the same batch is loaded, its client alone', async () => {
    expect(await db.query(`select numero_ccb from v.operacoes`)).toEqual([{ numero_ccb: good }])
    expect(await db.query(`select count(*)::int as n from v.clientes`)).toEqual([{ n: 1 }])
  })
})
