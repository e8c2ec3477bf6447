import { Decimal128, Double, Int32, Long, ObjectId } from 'bson'
import { seededRandom } from '@elt/core'
// bench code reaches the CCB domain as the tests do (the package @elt/models depends on this one)
import { cpfCheckDigit } from '../../models/src/documents/ccb-contract-rules.ts'
import type { CcbContract } from '../../models/src/documents/ccb-contracts.ts'
import type { BsonNumber } from '../src/index.ts'

/**
 * Deterministic CCB contract documents (the shape of `contratos_ccb`) for the sample file, the
 * tests and the benchmark: valid CPFs, Price-table amortisation schedules whose parcelas add up
 * (principal repaid exactly, the last parcela taking the rounding), clients with several
 * contracts (their address and contacts change over time: the newest document wins), later
 * versions of some contracts (one more parcela paid), an older duplicate after its newer
 * version, and every kind of invalid document (`ccbMutations`). Numbers come as Decimal128,
 * double, int32 and int64; dates as Date.
 *
 * ```ts
 * for (const { document } of generateCcbDocuments({ contracts: 100 })) …
 * ```
 */
export interface GeneratedDocument {
  document: Ccb
  /** Written as relaxed Extended JSON (else canonical). */
  relaxed: boolean
  /** The mutation that makes it invalid, if any. */
  invalid?: string
}

/** One invalid variant per validation rule: name → the change. */
export const ccbMutations: Record<string, (d: Ccb) => void> = {
  numero_ccb_empty: (d) => void (d.numero_ccb = ''),
  cpf_check_digit: (d) => void (d.cliente.cpf = d.cliente.cpf.slice(0, -1) + ((Number(d.cliente.cpf.slice(-1)) + 1) % 10)),
  cpf_all_equal: (d) => void (d.cliente.cpf = '111.111.111-11'),
  valor_principal_zero: (d) => void (d.operacao.valor_principal = Decimal128.fromString('0.00')),
  prazo_out_of_range: (d) => void (d.operacao.prazo_meses = new Int32(481)),
  taxa_out_of_range: (d) => void (d.operacao.taxa_juros_mensal = new Double(1.25)),
  parcela_missing: (d) => void d.operacao.parcelas.pop(),
  parcela_repeated: (d) => void (d.operacao.parcelas[1]!.numero = new Int32(1)),
  parcela_valor_zero: (d) => void (d.operacao.parcelas[0]!.valor = Decimal128.fromString('0')),
  paga_without_data_pagamento: (d) => {
    const p = d.operacao.parcelas[0]!
    p.status = 'paga'
    delete p.data_pagamento
  },
  data_pagamento_not_paga: (d) => {
    const p = d.operacao.parcelas.at(-1)!
    p.status = 'aberta'
    p.data_pagamento = new Date(Date.UTC(2024, 0, 10))
  },
  uf_unknown: (d) => void (d.cliente.enderecos[0]!.uf = 'XX'),
  cep_short: (d) => void (d.cliente.enderecos[0]!.cep = '1234-567'),
  email_without_at: (d) => void (d.cliente.contatos[0]!.valor = 'fulano.example.com'),
  banco_not_3_digits: (d) => void (d.dados_bancarios.banco = '34'),
  tipo_conta_unknown: (d) => void ((d.dados_bancarios as { tipo_conta: string }).tipo_conta = 'investimento'),
  date_not_parsing: (d) => void ((d as unknown as Record<string, unknown>).data_emissao = '31/02/2024'),
}

/**
 * A generated CCB document: the mapping's document type (`CcbContract` of @elt/models), which the
 * invalid variants of `ccbMutations` break on purpose.
 */
export type Ccb = CcbContract

const firstNames = ['Ana', 'Bruno', 'Carla', 'Diego', 'Eduarda', 'Felipe', 'Gabriela', 'Henrique', 'Isabela', 'João', 'Larissa', 'Marcos', 'Natália', 'Otávio', 'Paula', 'Rafael', 'Sofia', 'Thiago', 'Vitória', 'Wagner']
const lastNames = ['Silva', 'Santos', 'Oliveira', 'Souza', 'Rodrigues', 'Ferreira', 'Alves', 'Pereira', 'Lima', 'Gomes', 'Costa', 'Ribeiro', 'Martins', 'Carvalho', 'Araújo']
const cities: [string, string, string][] = [
  ['São Paulo', 'SP', '01'], ['Rio de Janeiro', 'RJ', '20'], ['Belo Horizonte', 'MG', '30'], ['Curitiba', 'PR', '80'], ['Porto Alegre', 'RS', '90'],
  ['Salvador', 'BA', '40'], ['Recife', 'PE', '50'], ['Fortaleza', 'CE', '60'], ['Brasília', 'DF', '70'], ['Manaus', 'AM', '69'], ['Goiânia', 'GO', '74'], ['Florianópolis', 'SC', '88'],
]
const streets = ['Rua das Flores', 'Avenida Paulista', 'Rua XV de Novembro', 'Avenida Brasil', 'Rua da Consolação', 'Rua Sete de Setembro', 'Avenida Atlântica', 'Rua Augusta']
const bairros = ['Centro', 'Jardins', 'Boa Vista', 'Copacabana', 'Savassi', 'Moinhos de Vento', 'Pituba', 'Aldeota']
const bancos = ['001', '033', '104', '237', '341', '260', '077', '336']
const prazos = [6, 10, 12, 18, 24, 36, 48, 60]
/** Paid, overdue and open parcelas are decided against this day. */
export const ccbReferenceDay = Date.UTC(2025, 5, 30)
const dayMs = 86_400_000

/** A valid CPF from 9 digits: the two check digits as the mapping's validation computes them. */
function cpfFrom(nine: string): string {
  const ten = nine + cpfCheckDigit(nine)
  return ten + cpfCheckDigit(ten)
}

const addMonths = (ms: number, months: number) => {
  const d = new Date(ms)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, Math.min(d.getUTCDate(), 28))
}
const cents = (x: number) => Math.round(x * 100) / 100
const money = (x: number) => x.toFixed(2)

interface Client {
  cpf: string
  nome: string
  nascimento?: Date
  rg?: { numero: string; orgao_emissor: string; uf: string }
  city: [string, string, string]
}

/** `contracts` contracts (plus later versions and an older duplicate now and then), deterministic for a `seed`. */
export function* generateCcbDocuments(options: { contracts: number; seed?: number; invalidEvery?: number }): Generator<GeneratedDocument> {
  const rand = seededRandom(options.seed ?? 20240601)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 10)).join('')
  const clientCount = Math.max(1, Math.round(options.contracts * 0.7))
  const clients = new Map<number, Client>()
  const client = (index: number): Client => {
    let c = clients.get(index)
    if (!c) {
      const city = pick(cities)
      const cpf = cpfFrom(digits(9))
      c = {
        cpf: rand() < 0.5 ? `${cpf.slice(0, 3)}.${cpf.slice(3, 6)}.${cpf.slice(6, 9)}-${cpf.slice(9)}` : cpf,
        nome: `${pick(firstNames)} ${pick(lastNames)} ${pick(lastNames)}`,
        ...(rand() < 0.9 ? { nascimento: new Date(Date.UTC(1950 + Math.floor(rand() * 55), Math.floor(rand() * 12), 1 + Math.floor(rand() * 28))) } : {}),
        ...(rand() < 0.8 ? { rg: { numero: digits(9), orgao_emissor: pick(['SSP', 'DETRAN', 'IFP']), uf: city[1] } } : {}),
        city,
      }
      // a client held only in memory while it can still appear: the pool is bounded by clientCount
      clients.set(index, c)
    }
    return c
  }
  const invalidNames = Object.keys(ccbMutations)
  let invalidIndex = 0
  let pendingOlder: Ccb | undefined
  for (let n = 1; n <= options.contracts; n++) {
    const c = client(Math.floor(rand() * clientCount))
    const emissao = Date.UTC(2022, 0, 1) + Math.floor(rand() * 1000) * dayMs
    const liberacao = emissao + (1 + Math.floor(rand() * 3)) * dayMs
    const principal = cents(1000 + rand() * 99_000)
    const taxa = Math.round((0.009 + rand() * 0.036) * 1e6) / 1e6
    const prazo = pick(prazos)
    const pmt = cents((principal * taxa) / (1 - (1 + taxa) ** -prazo))
    let balance = principal
    let juros = 0
    const parcelas: Ccb['operacao']['parcelas'] = []
    for (let k = 1; k <= prazo; k++) {
      const interest = cents(balance * taxa)
      const amort = k === prazo ? balance : cents(pmt - interest)
      balance = cents(balance - amort)
      juros += interest
      const vencimento = addMonths(liberacao, k)
      const late = rand() < 0.08
      const status = vencimento > ccbReferenceDay ? 'aberta' : late ? 'atrasada' : 'paga'
      parcelas.push({
        numero: k % 7 === 0 ? new Long(k) : new Int32(k),
        vencimento: new Date(vencimento),
        valor: number(rand, cents(amort + interest)),
        status,
        ...(status === 'paga' ? { data_pagamento: new Date(vencimento - Math.floor(rand() * 5) * dayMs) } : {}),
      })
    }
    const iof = cents(principal * (0.0038 + 0.000082 * Math.min(365, prazo * 30)))
    const tarifa = pick([0, 150, 350, 500])
    const seguro = rand() < 0.5 ? cents(principal * 0.02) : 0
    const componentes = [
      { descricao: 'Juros', valor: juros },
      { descricao: 'IOF', valor: iof },
      ...(tarifa ? [{ descricao: 'Tarifa de cadastro', valor: tarifa }] : []),
      ...(seguro ? [{ descricao: 'Seguro prestamista', valor: seguro }] : []),
    ].map((x) => ({ descricao: x.descricao, valor: Decimal128.fromString(money(x.valor)), percentual: Decimal128.fromString((x.valor / principal).toFixed(6)) }))
    const extra = (iof + tarifa + seguro) / principal / prazo
    const cetMensal = Math.min(0.99, taxa + extra)
    const city = c.city
    const cep = `${city[2]}${digits(3)}${digits(3)}`
    const document: Ccb = {
      // the issue time, then the contract number: unique across the whole input, like a collection's _id
      _id: ObjectId.createFromHexString(Math.floor(emissao / 1000).toString(16).padStart(8, '0') + n.toString(16).padStart(16, '0')),
      numero_ccb: `CCB-${new Date(emissao).getUTCFullYear()}-${String(n).padStart(6, '0')}`,
      data_emissao: new Date(emissao),
      atualizado_em: new Date(Math.max(emissao, Math.min(ccbReferenceDay, ccbReferenceDay - Math.floor(rand() * 60) * dayMs))),
      cliente: {
        cpf: c.cpf,
        nome: c.nome,
        ...(c.nascimento ? { data_nascimento: c.nascimento } : {}),
        ...(c.rg ? { rg: { ...c.rg } } : {}),
        enderecos: [
          { tipo: 'residencial', logradouro: pick(streets), numero: String(1 + Math.floor(rand() * 2000)), ...(rand() < 0.3 ? { complemento: `Apto ${1 + Math.floor(rand() * 200)}` } : {}), bairro: pick(bairros), cidade: city[0], uf: city[1], cep: rand() < 0.5 ? `${cep.slice(0, 5)}-${cep.slice(5)}` : cep },
          ...(rand() < 0.4 ? [{ tipo: 'comercial' as const, logradouro: pick(streets), numero: String(1 + Math.floor(rand() * 3000)), bairro: pick(bairros), cidade: city[0], uf: city[1], cep: `${city[2]}${digits(6)}` }] : []),
        ],
        contatos: [
          { tipo: 'email', valor: `${c.nome.split(' ')[0]!.toLowerCase().normalize('NFD').replace(/[^a-z]/g, '')}.${c.cpf.replace(/\D/g, '').slice(0, 4)}@example.com.br` },
          { tipo: 'celular', valor: `+55 11 9${digits(4)}-${digits(4)}` },
          ...(rand() < 0.3 ? [{ tipo: 'telefone' as const, valor: `+55 11 3${digits(3)}-${digits(4)}` }] : []),
        ],
      },
      dados_bancarios: { banco: pick(bancos), agencia: digits(4), conta: `${digits(5)}-${digits(1)}`, tipo_conta: rand() < 0.8 ? 'corrente' : 'poupanca' },
      operacao: {
        valor_principal: rand() < 0.8 ? Decimal128.fromString(money(principal)) : new Double(principal),
        taxa_juros_mensal: rand() < 0.7 ? Decimal128.fromString(taxa.toFixed(6)) : new Double(taxa),
        prazo_meses: rand() < 0.6 ? new Int32(prazo) : rand() < 0.5 ? new Long(prazo) : new Double(prazo),
        ...(rand() < 0.9 ? { valor_iof: Decimal128.fromString(money(iof)) } : {}),
        data_liberacao: new Date(liberacao),
        parcelas,
        cet: { mensal: Decimal128.fromString(cetMensal.toFixed(6)), anual: Decimal128.fromString(((1 + cetMensal) ** 12 - 1).toFixed(6)), componentes },
      },
    }
    const relaxed = n % 3 !== 0
    if (options.invalidEvery && n % options.invalidEvery === 0) {
      const name = invalidNames[invalidIndex++ % invalidNames.length]!
      ccbMutations[name]!(document)
      yield { document, relaxed, invalid: name }
      continue
    }
    if (pendingOlder) {
      // an older version arriving after its newer one: must not overwrite it
      yield { document: pendingOlder, relaxed: !relaxed }
      pendingOlder = undefined
    }
    if (n % 25 === 0) {
      // a later version of the same contract in the same input: one more parcela paid, newest wins
      const older = cloneCcb(document)
      const open = document.operacao.parcelas.find((p) => p.status !== 'paga')
      if (open) {
        open.status = 'paga'
        open.data_pagamento = new Date(document.atualizado_em.getTime())
      }
      document.atualizado_em = new Date(document.atualizado_em.getTime() + dayMs)
      yield { document, relaxed }
      pendingOlder = older
      continue
    }
    yield { document, relaxed }
  }
  if (pendingOlder) yield { document: pendingOlder, relaxed: true }
}

/** A double for about a third of the amounts (mongoexport of an app that stored floats), else Decimal128. */
function number(rand: () => number, value: number): BsonNumber {
  return rand() < 0.3 ? new Double(value) : Decimal128.fromString(money(value))
}

export function cloneCcb<T>(document: T): T {
  // BSON values are immutable: a deep copy of the containers is enough
  const copy = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(copy)
    if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)]))
    }
    return value
  }
  return copy(document) as T
}
