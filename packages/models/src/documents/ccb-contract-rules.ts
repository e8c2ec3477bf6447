import { dateValue, digitsOf, numberText, numberValue } from '@elt/documents'

/** The 27 federative units of Brazil. */
export const brazilianUfs: ReadonlySet<string> = new Set(
  'AC AL AP AM BA CE DF ES GO MA MT MS MG PA PB PR PE PI RJ RN RS RO RR SC SP SE TO'.split(' '),
)

/** The CPF check digit following `base` (its first 9 digits, then those 10): `cpfCheckDigit('529982247')` → 2. */
export function cpfCheckDigit(base: string): number {
  let sum = 0
  for (let i = 0; i < base.length; i++) sum += Number(base[i]) * (base.length + 1 - i)
  const rest = (sum * 10) % 11
  return rest === 10 ? 0 : rest
}

/** 11 digits, not all equal, both check digits right (`'529.982.247-25'` → true). */
export function isValidCpf(value: unknown): boolean {
  const cpf = digitsOf(value)
  if (cpf === undefined || cpf.length !== 11 || /^(\d)\1{10}$/.test(cpf)) return false
  return cpfCheckDigit(cpf.slice(0, 9)) === Number(cpf[9]) && cpfCheckDigit(cpf.slice(0, 10)) === Number(cpf[10])
}

type Obj = Record<string, unknown>
const isObj = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value)
const show = (value: unknown): string =>
  value === undefined ? 'nothing' : value instanceof Date ? value.toISOString() : (numberText(value) ?? (typeof value === 'object' && value !== null ? 'an object' : JSON.stringify(value)))
const list = (value: unknown): Obj[] => (Array.isArray(value) ? value.filter(isObj) : [])

/**
 * Every rule a CCB document must pass, as readable reasons (empty: the document is good). A
 * document failing any rule is rejected whole.
 *
 * ```ts
 * validateCcbContract({ numero_ccb: '', … }) // ['numero_ccb is empty', …]
 * ```
 */
export function validateCcbContract(document: unknown): string[] {
  const reasons: string[] = []
  const fail = (reason: string) => reasons.push(reason)
  if (!isObj(document)) return ['the document is not an object']
  const date = (value: unknown, where: string, optional = false) => {
    if (optional && value === undefined) return
    if (!dateValue(value)) fail(`${where} is not a date (got ${show(value)})`)
  }
  if (typeof document.numero_ccb !== 'string' || document.numero_ccb.trim() === '') fail('numero_ccb is empty')
  date(document.data_emissao, 'data_emissao')
  date(document.atualizado_em, 'atualizado_em')

  const cliente = isObj(document.cliente) ? document.cliente : undefined
  if (!cliente) fail('cliente is missing')
  else {
    if (!isValidCpf(cliente.cpf)) fail(`cliente.cpf ${show(cliente.cpf)} is not a valid CPF (11 digits, not all equal, with valid check digits)`)
    if (typeof cliente.nome !== 'string' || cliente.nome.trim() === '') fail('cliente.nome is empty')
    date(cliente.data_nascimento, 'cliente.data_nascimento', true)
    if (cliente.rg !== undefined) {
      const rg = isObj(cliente.rg) ? cliente.rg : {}
      if (!brazilianUfs.has(String(rg.uf))) fail(`cliente.rg.uf ${show(rg.uf)} is not one of the 27 Brazilian UFs`)
    }
    for (const key of ['enderecos', 'contatos'] as const) if (!Array.isArray(cliente[key])) fail(`cliente.${key} is not a list`)
    const tipos = new Set<unknown>()
    list(cliente.enderecos).forEach((e, i) => {
      if (e.tipo !== 'residencial' && e.tipo !== 'comercial') fail(`cliente.enderecos[${i}].tipo must be residencial or comercial (got ${show(e.tipo)})`)
      else if (tipos.has(e.tipo)) fail(`cliente.enderecos[${i}]: a second ${e.tipo} address`)
      tipos.add(e.tipo)
      if (!brazilianUfs.has(String(e.uf))) fail(`cliente.enderecos[${i}].uf ${show(e.uf)} is not one of the 27 Brazilian UFs`)
      if (digitsOf(e.cep)?.length !== 8) fail(`cliente.enderecos[${i}].cep ${show(e.cep)} must have 8 digits`)
    })
    list(cliente.contatos).forEach((c, i) => {
      if (c.tipo !== 'email' && c.tipo !== 'celular' && c.tipo !== 'telefone') fail(`cliente.contatos[${i}].tipo must be email, celular or telefone (got ${show(c.tipo)})`)
      if (typeof c.valor !== 'string' || c.valor === '') fail(`cliente.contatos[${i}].valor is empty`)
      else if (c.tipo === 'email' && !/^[^@]+@[^@]+\.[^@]+$/.test(c.valor)) fail(`cliente.contatos[${i}] email ${show(c.valor)} is not an address (one @ and a dot in its domain)`)
    })
  }

  const banco = isObj(document.dados_bancarios) ? document.dados_bancarios : undefined
  if (!banco) fail('dados_bancarios is missing')
  else {
    if (typeof banco.banco !== 'string' || !/^\d{3}$/.test(banco.banco)) fail(`dados_bancarios.banco ${show(banco.banco)} must be 3 digits`)
    if (banco.tipo_conta !== 'corrente' && banco.tipo_conta !== 'poupanca') fail(`dados_bancarios.tipo_conta must be corrente or poupanca (got ${show(banco.tipo_conta)})`)
  }

  const operacao = isObj(document.operacao) ? document.operacao : undefined
  if (!operacao) fail('operacao is missing')
  else validateOperacao(operacao, fail, date)
  return reasons
}

function validateOperacao(operacao: Obj, fail: (reason: string) => void, date: (value: unknown, where: string, optional?: boolean) => void): void {
  const principal = numberValue(operacao.valor_principal)
  if (principal === undefined || !(principal > 0)) fail(`operacao.valor_principal must be greater than 0 (got ${show(operacao.valor_principal)})`)
  const rate = numberValue(operacao.taxa_juros_mensal)
  if (rate === undefined || rate < 0 || rate >= 1) fail(`operacao.taxa_juros_mensal must be at least 0 and less than 1 (got ${show(operacao.taxa_juros_mensal)})`)
  const prazo = numberValue(operacao.prazo_meses)
  const prazoOk = prazo !== undefined && Number.isInteger(prazo) && prazo >= 1 && prazo <= 480
  if (!prazoOk) fail(`operacao.prazo_meses must be a whole number from 1 to 480 (got ${show(operacao.prazo_meses)})`)
  if (operacao.valor_iof !== undefined && numberValue(operacao.valor_iof) === undefined) fail(`operacao.valor_iof is not a number (got ${show(operacao.valor_iof)})`)
  date(operacao.data_liberacao, 'operacao.data_liberacao')

  if (!Array.isArray(operacao.parcelas)) fail('operacao.parcelas is not a list')
  const parcelas = list(operacao.parcelas)
  if (prazoOk) {
    const seen = new Map<number | undefined, number>()
    for (const p of parcelas) seen.set(numberValue(p.numero), (seen.get(numberValue(p.numero)) ?? 0) + 1)
    const missing = Array.from({ length: prazo }, (_, i) => i + 1).filter((n) => !seen.has(n))
    const twice = [...seen].filter(([, count]) => count > 1).map(([n]) => n ?? '?')
    const outside = [...seen.keys()].filter((n) => n === undefined || !Number.isInteger(n) || n < 1 || n > prazo).map((n) => n ?? '?')
    const some = (items: readonly unknown[]) => items.slice(0, 10).join(', ') + (items.length > 10 ? `, … (${items.length})` : '')
    if (parcelas.length !== prazo || missing.length || twice.length || outside.length) {
      const problems = [missing.length ? `missing ${some(missing)}` : '', twice.length ? `more than once ${some(twice)}` : '', outside.length ? `outside 1..${prazo} ${some(outside)}` : '']
      fail(`operacao.parcelas must be numbered 1..${prazo} once each (prazo_meses ${prazo}; got ${parcelas.length} parcelas${problems.filter(Boolean).map((p) => `, ${p}`).join('')})`)
    }
  }
  for (const p of parcelas) {
    const label = `parcela ${show(numberValue(p.numero) ?? p.numero)}`
    const valor = numberValue(p.valor)
    if (valor === undefined || !(valor > 0)) fail(`${label}: valor must be greater than 0 (got ${show(p.valor)})`)
    date(p.vencimento, `${label}: vencimento`)
    if (p.status !== 'aberta' && p.status !== 'paga' && p.status !== 'atrasada') fail(`${label}: status must be aberta, paga or atrasada (got ${show(p.status)})`)
    if (p.status === 'paga' && p.data_pagamento === undefined) fail(`${label}: status paga needs a data_pagamento`)
    if (p.status !== 'paga' && p.data_pagamento !== undefined) fail(`${label}: data_pagamento is set but status is ${show(p.status)} (only a paga parcela has one)`)
    date(p.data_pagamento, `${label}: data_pagamento`, true)
  }

  const cet = isObj(operacao.cet) ? operacao.cet : undefined
  if (!cet) return void fail('operacao.cet is missing')
  for (const key of ['mensal', 'anual'] as const) if (numberValue(cet[key]) === undefined) fail(`operacao.cet.${key} is not a number (got ${show(cet[key])})`)
  if (!Array.isArray(cet.componentes)) fail('operacao.cet.componentes is not a list')
  const descricoes = new Set<unknown>()
  list(cet.componentes).forEach((c, i) => {
    if (typeof c.descricao !== 'string' || c.descricao === '') fail(`operacao.cet.componentes[${i}].descricao is empty`)
    else if (descricoes.has(c.descricao)) fail(`operacao.cet.componentes[${i}]: descricao ${show(c.descricao)} appears twice`)
    descricoes.add(c.descricao)
  })
}
