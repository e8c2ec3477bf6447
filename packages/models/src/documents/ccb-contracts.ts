import { dateValue, defineDocumentMapping, digitsOf, idText, numberText, type BsonNumber, type ObjectId } from '@elt/documents'
import { validateCcbContract } from './ccb-contract-rules.ts'

/** A CCB (Cédula de Crédito Bancária) as stored in MongoDB (collection `contratos_ccb`). */
export interface CcbContract {
  _id: ObjectId
  numero_ccb: string
  data_emissao: Date
  atualizado_em: Date
  cliente: {
    cpf: string
    nome: string
    data_nascimento?: Date
    rg?: { numero: string; orgao_emissor: string; uf: string }
    enderecos: { tipo: 'residencial' | 'comercial'; logradouro: string; numero: string; complemento?: string; bairro: string; cidade: string; uf: string; cep: string }[]
    contatos: { tipo: 'email' | 'celular' | 'telefone'; valor: string }[]
  }
  dados_bancarios: { banco: string; agencia: string; conta: string; tipo_conta: 'corrente' | 'poupanca' }
  operacao: {
    valor_principal: BsonNumber
    taxa_juros_mensal: BsonNumber
    prazo_meses: BsonNumber
    valor_iof?: BsonNumber
    data_liberacao: Date
    parcelas: { numero: BsonNumber; vencimento: Date; valor: BsonNumber; status: 'aberta' | 'paga' | 'atrasada'; data_pagamento?: Date }[]
    cet: { mensal: BsonNumber; anual: BsonNumber; componentes: { descricao: string; valor: BsonNumber; percentual: BsonNumber }[] }
  }
}

const text = (type = 'text', notNull = false) => ({ type, notNull })
const cpfOf = (d: CcbContract) => digitsOf(d.cliente.cpf) ?? null
const num = (value: unknown) => numberText(value) ?? null
const day = (value: unknown) => dateValue(value) ?? null

/**
 * CCB contracts into eight tables of `targetSchema`: the client (`clientes`, `identidades`,
 * `enderecos`, `contatos`: from the newest document naming the CPF) and the contract
 * (`operacoes`, `dados_bancarios`, `parcelas`, `detalhamento_cet`). CPF and CEP as digits only.
 */
export const ccb_contracts = defineDocumentMapping<CcbContract>({
  name: 'ccb_contracts',
  documentId: (d) => idText(d._id),
  businessKey: (d) => (typeof d.numero_ccb === 'string' ? d.numero_ccb : null),
  validate: validateCcbContract,
  tables: {
    clientes: {
      columns: { cpf: text('char(11)', true), nome: text('text', true), data_nascimento: text('date'), atualizado_em: text('timestamptz', true) },
      primaryKey: ['cpf'],
      version: 'atualizado_em',
      origin: { kind: 'object', path: 'cliente' },
      rows: (d) => [{ cpf: cpfOf(d), nome: d.cliente.nome, data_nascimento: day(d.cliente.data_nascimento), atualizado_em: d.atualizado_em }],
    },
    identidades: {
      columns: { cpf: text('char(11)', true), rg_numero: text(), rg_orgao_emissor: text(), rg_uf: text('char(2)') },
      primaryKey: ['cpf'],
      foreignKeys: [{ columns: ['cpf'], references: 'clientes', referencedColumns: ['cpf'] }],
      owner: { table: 'clientes', columns: ['cpf'] },
      origin: { kind: 'object', path: 'cliente.rg' },
      rows: (d) => (d.cliente.rg ? [{ cpf: cpfOf(d), rg_numero: d.cliente.rg.numero, rg_orgao_emissor: d.cliente.rg.orgao_emissor, rg_uf: d.cliente.rg.uf }] : []),
    },
    enderecos: {
      columns: {
        cpf: text('char(11)', true), tipo: text('text', true), logradouro: text(), numero: text(), complemento: text(),
        bairro: text(), cidade: text(), uf: text('char(2)'), cep: text('char(8)'),
      },
      primaryKey: ['cpf', 'tipo'],
      foreignKeys: [{ columns: ['cpf'], references: 'clientes', referencedColumns: ['cpf'] }],
      owner: { table: 'clientes', columns: ['cpf'] },
      origin: { kind: 'array', path: 'cliente.enderecos' },
      rows: (d) =>
        d.cliente.enderecos.map((e) => ({
          cpf: cpfOf(d), tipo: e.tipo, logradouro: e.logradouro, numero: e.numero, complemento: e.complemento ?? null,
          bairro: e.bairro, cidade: e.cidade, uf: e.uf, cep: digitsOf(e.cep) ?? null,
        })),
    },
    contatos: {
      columns: { cpf: text('char(11)', true), tipo: text('text', true), valor: text('text', true) },
      primaryKey: ['cpf', 'tipo', 'valor'],
      foreignKeys: [{ columns: ['cpf'], references: 'clientes', referencedColumns: ['cpf'] }],
      owner: { table: 'clientes', columns: ['cpf'] },
      origin: { kind: 'array', path: 'cliente.contatos' },
      rows: (d) => {
        const seen = new Set<string>()
        return d.cliente.contatos
          .filter((c) => !seen.has(c.tipo + '\u0000' + c.valor) && seen.add(c.tipo + '\u0000' + c.valor))
          .map((c) => ({ cpf: cpfOf(d), tipo: c.tipo, valor: c.valor }))
      },
    },
    operacoes: {
      columns: {
        numero_ccb: text('text', true), cpf: text('char(11)', true), documento_id: text(), data_emissao: text('date'),
        valor_principal: text('numeric(14,2)'), taxa_juros_mensal: text('numeric(8,6)'), prazo_meses: text('int'), valor_iof: text('numeric(14,2)'),
        data_liberacao: text('date'), cet_mensal: text('numeric(8,6)'), cet_anual: text('numeric(8,6)'), atualizado_em: text('timestamptz', true),
      },
      primaryKey: ['numero_ccb'],
      unique: [['documento_id']],
      foreignKeys: [{ columns: ['cpf'], references: 'clientes', referencedColumns: ['cpf'] }],
      version: 'atualizado_em',
      origin: { kind: 'object', path: 'operacao' },
      rows: (d) => [
        {
          numero_ccb: d.numero_ccb, cpf: cpfOf(d), documento_id: idText(d._id), data_emissao: day(d.data_emissao),
          valor_principal: num(d.operacao.valor_principal), taxa_juros_mensal: num(d.operacao.taxa_juros_mensal),
          prazo_meses: num(d.operacao.prazo_meses), valor_iof: num(d.operacao.valor_iof), data_liberacao: day(d.operacao.data_liberacao),
          cet_mensal: num(d.operacao.cet.mensal), cet_anual: num(d.operacao.cet.anual), atualizado_em: d.atualizado_em,
        },
      ],
    },
    dados_bancarios: {
      columns: { numero_ccb: text('text', true), banco: text('char(3)'), agencia: text(), conta: text(), tipo_conta: text() },
      primaryKey: ['numero_ccb'],
      foreignKeys: [{ columns: ['numero_ccb'], references: 'operacoes', referencedColumns: ['numero_ccb'] }],
      owner: { table: 'operacoes', columns: ['numero_ccb'] },
      origin: { kind: 'object', path: 'dados_bancarios' },
      rows: (d) => [{ numero_ccb: d.numero_ccb, ...d.dados_bancarios }],
    },
    parcelas: {
      columns: {
        numero_ccb: text('text', true), numero: text('int', true), vencimento: text('date'), valor: text('numeric(14,2)'),
        status: text(), data_pagamento: text('date'),
      },
      primaryKey: ['numero_ccb', 'numero'],
      foreignKeys: [{ columns: ['numero_ccb'], references: 'operacoes', referencedColumns: ['numero_ccb'] }],
      owner: { table: 'operacoes', columns: ['numero_ccb'] },
      origin: { kind: 'array', path: 'operacao.parcelas' },
      rows: (d) =>
        d.operacao.parcelas.map((p) => ({
          numero_ccb: d.numero_ccb, numero: num(p.numero), vencimento: day(p.vencimento), valor: num(p.valor),
          status: p.status, data_pagamento: day(p.data_pagamento),
        })),
    },
    detalhamento_cet: {
      columns: { numero_ccb: text('text', true), descricao: text('text', true), valor: text('numeric(14,2)'), percentual: text('numeric(8,6)') },
      primaryKey: ['numero_ccb', 'descricao'],
      foreignKeys: [{ columns: ['numero_ccb'], references: 'operacoes', referencedColumns: ['numero_ccb'] }],
      owner: { table: 'operacoes', columns: ['numero_ccb'] },
      origin: { kind: 'array', path: 'operacao.cet.componentes' },
      rows: (d) => d.operacao.cet.componentes.map((c) => ({ numero_ccb: d.numero_ccb, descricao: c.descricao, valor: num(c.valor), percentual: num(c.percentual) })),
    },
  },
})
